// Command withdb runs a command with a fresh PostgreSQL database from the
// test harness (a server from ORMSHIFT_TEST_DSN or 127.0.0.1:5432, else a
// throwaway cluster) and drops it afterwards. The database's URL is passed
// in the environment as ORMSHIFT_DSN. Used by the demo:
//
//	go run ./internal/pgtest/withdb -- bash scripts/demo.sh
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/ormshift/ormshift/internal/pgtest"
)

func main() {
	os.Exit(run())
}

func run() int {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "usage: withdb -- command [args...]")
		return 2
	}
	defer pgtest.Stop()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	db, err := pgtest.Create(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "withdb:", err)
		return 1
	}
	db.Pool.Close()
	defer func() {
		if err := pgtest.Drop(context.Background(), db.Name); err != nil {
			fmt.Fprintln(os.Stderr, "withdb:", err)
		}
	}()
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), "ORMSHIFT_DSN="+db.DSN)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, "withdb:", err)
		return 1
	}
	return 0
}
