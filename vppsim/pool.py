"""VPP's pool: a vector of slots whose free indexes are reused most-recently-freed first."""

from __future__ import annotations

from typing import Generic, Iterator, List, Optional, Tuple, TypeVar

T = TypeVar("T")


class Pool(Generic[T]):
    def __init__(self) -> None:
        self.slots: List[Optional[T]] = []
        self.free: List[int] = []

    def get(self, item: T) -> int:
        """Store ``item`` in a slot and return its index (LIFO reuse, as pool_get does)."""
        if self.free:
            index = self.free.pop()
            self.slots[index] = item
            return index
        self.slots.append(item)
        return len(self.slots) - 1

    def put(self, index: int) -> None:
        self.slots[index] = None
        self.free.append(index)

    def __getitem__(self, index: int) -> Optional[T]:
        if 0 <= index < len(self.slots):
            return self.slots[index]
        return None

    def items(self) -> Iterator[Tuple[int, T]]:
        """Live slots in ascending index order (pool_foreach)."""
        for index, item in enumerate(self.slots):
            if item is not None:
                yield index, item

    def __len__(self) -> int:
        return len(self.slots) - len(self.free)
