package uow

import "reflect"

// Allocation in chunks. A unit of work handling thousands of entities
// would otherwise allocate one object per entity for each of: the entity
// (on load), its snapshot struct, the snapshot's copy of the entity, its
// deep-copied columns, and the flush's working copy. Chunks make that a
// few allocations per 128 entities. A chunk stays alive while any value in
// it is referenced, which for a request-scoped EntityManager is about as
// long as the EntityManager itself.

const maxChunk = 128

// structSlab hands out zeroed, addressable values of one struct type.
type structSlab struct {
	typ  reflect.Type
	buf  reflect.Value // []typ
	next int
}

// alloc returns a pointer (a reflect.Value of type *typ) to a zero value.
// want is how many more values the caller expects to need (a hint for the
// chunk size).
func (s *structSlab) alloc(want int) reflect.Value {
	if !s.buf.IsValid() || s.next == s.buf.Len() {
		n := 8
		if s.buf.IsValid() {
			n = 2 * s.buf.Len()
		}
		if want > n {
			n = want
		}
		if n > maxChunk {
			n = maxChunk
		}
		s.buf = reflect.MakeSlice(reflect.SliceOf(s.typ), n, n)
		s.next = 0
	}
	p := s.buf.Index(s.next).Addr()
	s.next++
	return p
}

// allocator groups the slabs of an EntityManager (entities and
// snapshots) or of one flush (working copies).
type allocator struct {
	structs map[*Entity]*structSlab
	snaps   []snapshot
	entries []entry
	anys    []any
}

func (a *allocator) entry() *entry {
	if len(a.entries) == 0 {
		a.entries = make([]entry, maxChunk)
	}
	en := &a.entries[0]
	a.entries = a.entries[1:]
	return en
}

func (a *allocator) new(meta *Entity, want int) reflect.Value {
	if a.structs == nil {
		a.structs = map[*Entity]*structSlab{}
	}
	s := a.structs[meta]
	if s == nil {
		s = &structSlab{typ: meta.Type}
		a.structs[meta] = s
	}
	return s.alloc(want)
}

func (a *allocator) snapshot() *snapshot {
	if len(a.snaps) == 0 {
		a.snaps = make([]snapshot, maxChunk)
	}
	s := &a.snaps[0]
	a.snaps = a.snaps[1:]
	return s
}

func (a *allocator) anySlice(n int) []any {
	if len(a.anys) < n {
		size := maxChunk * n
		a.anys = make([]any, size)
	}
	out := a.anys[:n:n]
	a.anys = a.anys[n:]
	return out
}
