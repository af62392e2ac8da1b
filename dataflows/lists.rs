//! The one rule by which the project's per-node lists (the state's out-lists, a worker's changed
//! arc lists) give back memory after removals.

/// Gives back the memory of a list that emptied or shrank to a quarter of its capacity, keeping
/// room for twice what is left, so that churn does not leave every node at its peak degree and a
/// list that hovers around a size is not reallocated on every change.
pub fn give_back_room<T>(list: &mut Vec<T>) {
    if list.capacity() > 8 && list.len() * 4 < list.capacity() {
        list.shrink_to(list.len() * 2);
    }
}
