package main

// runVetTool is replaced by the analyzers' unitchecker entry point: when go
// vet runs ormshift as -vettool it answers the unitchecker protocol and
// returns ok=true.
var runVetTool = func(args []string) (code int, ok bool) { return 0, false }
