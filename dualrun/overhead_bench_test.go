package dualrun

import (
	"context"
	"testing"
)

// BenchmarkOverhead measures what the shim itself adds to a call whose
// paths do no I/O: sampling, goroutines, comparison, metrics and an
// asynchronous publisher that discards.
func BenchmarkOverhead(b *testing.B) {
	type row struct {
		ID   int64
		Name string
		N    int
	}
	ctl := func(context.Context) ([]row, error) { return []row{{1, "a", 1}, {2, "b", 2}}, nil }
	cand := func(context.Context) ([]row, error) { return []row{{1, "a", 1}, {2, "b", 2}}, nil }
	discard := PublisherFunc(func(context.Context, *Result) error { return nil })
	for _, c := range []struct {
		name string
		opts []Option
	}{
		{"off", []Option{Percent(0)}},
		{"sequential", nil},
		{"concurrent", []Option{Concurrent()}},
		{"concurrent-nocopy", []Option{Concurrent(), NoCopy()}},
	} {
		b.Run(c.name, func(b *testing.B) {
			q := NewQueue(discard, 1<<16)
			defer q.Close(context.Background())
			exp := New[[]row]("overhead", append([]Option{WithPublisher(q)}, c.opts...)...)
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := exp.Run(ctx, ctl, cand); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
