package uow

import (
	"reflect"
	"unsafe"
)

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
	// withSpans: each chunk comes with a slabSpan (entries parallel to
	// the values), span being the current chunk's.
	withSpans bool
	span      *slabSpan
}

// slabSpan is one chunk of loaded entities of a type together with a
// parallel chunk of entries: the entry of the entity at index i of the
// chunk is entries[i]. The identity map finds it from the entity's address
// and the chunk's bounds (metaIndex.spanOf), so loading an entity needs no
// map insert (nor allocation) for its entry.
type slabSpan struct {
	base    unsafe.Pointer // the chunk's first value (keeps the chunk alive)
	size    uintptr        // size of one value, > 0
	n       int            // number of values
	entries []entry        // entries[i]: the slot of value i; used only if its meta is set
}

// contains reports whether p points into the chunk.
func (s *slabSpan) contains(p unsafe.Pointer) bool {
	off := uintptr(p) - uintptr(s.base) // wraps around (huge) below base
	return off < s.size*uintptr(s.n)
}

// slot is the entry slot of the value at p (contains(p) holds).
func (s *slabSpan) slot(p unsafe.Pointer) *entry {
	return &s.entries[(uintptr(p)-uintptr(s.base))/s.size]
}

// alloc returns a zero value (addressable, a reflect.Value of type typ).
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
		if s.withSpans {
			s.span = &slabSpan{base: s.buf.Index(0).Addr().UnsafePointer(), size: s.typ.Size(), n: n, entries: make([]entry, n)}
		}
	}
	v := s.buf.Index(s.next) // addressable, and no pointer type to look up
	s.next++
	return v
}

// allocator groups the slabs of an EntityManager (entities and
// snapshots) or of one flush (working copies).
type allocator struct {
	structs map[*Entity]*structSlab
	loaded  map[*Entity]*structSlab // entities loaded from rows, with spans
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

// new returns a zero value (addressable) of meta's type.
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

// newLoaded returns a zero value (addressable) for a row being loaded and
// the span of its chunk (nil for a zero-size type, whose values share one
// address).
func (a *allocator) newLoaded(meta *Entity, want int) (reflect.Value, *slabSpan) {
	if a.loaded == nil {
		a.loaded = map[*Entity]*structSlab{}
	}
	s := a.loaded[meta]
	if s == nil {
		s = &structSlab{typ: meta.Type, withSpans: meta.Type.Size() > 0}
		a.loaded[meta] = s
	}
	return s.alloc(want), s.span
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
