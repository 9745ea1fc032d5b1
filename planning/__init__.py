"""Course planning over the case data and the places: course suggestions for waiting people and
fill proposals for courses below their minimum size (mixed-integer programmes, pure over plain data)."""
