package vetdriver

// pruneImportsForTest exposes pruneImports to the external tests.
var PruneImportsForTest = pruneImports
