//! Handles (the C ABI's bottom layer): the memory behind each context and socket pointer a C
//! caller holds.
//!
//! libzmq answers `ENOTSOCK` for a socket already closed and `EFAULT` for a context already
//! terminated. Telling that from the pointer alone needs the pointer to stay ours: freed
//! memory could hold anything. So a handle's memory, once made, is never given back: closing
//! a socket drops what it holds, marks its slot dead and keeps the slot for the next
//! `zmq_socket`, as a closed file descriptor's number is given to the next `open`. A stale
//! pointer then finds a dead tag, or, once its slot is reused, a new live socket, never freed
//! memory. The memory kept is bounded by the most handles live at once.

use std::cell::UnsafeCell;
use std::ffi::c_void;
use std::mem::MaybeUninit;
use std::sync::atomic::AtomicU32;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use std::sync::Mutex;

use crate::{lock, DEAD_TAG};

/// One handle's memory: the tag first, where a foreign pointer is checked.
#[repr(C)]
struct Slot<T> {
    tag: AtomicU32,
    /// Initialised exactly while `tag` is the pool's live tag.
    value: UnsafeCell<MaybeUninit<T>>,
}

/// A dead slot waiting for reuse.
struct Free<T>(*mut Slot<T>);

// SAFETY: a dead slot holds no `T`, and only the thread that pops it from the free list
// writes to it.
unsafe impl<T> Send for Free<T> {}

/// The slots of one kind of handle: `tag` marks a live one.
pub(crate) struct Pool<T> {
    tag: u32,
    free: Mutex<Vec<Free<T>>>,
}

impl<T> Pool<T> {
    pub(crate) const fn new(tag: u32) -> Self {
        Pool {
            tag,
            free: Mutex::new(Vec::new()),
        }
    }

    /// Places `value` in a slot (a dead one if there is one) and returns the C pointer to it.
    pub(crate) fn insert(&self, value: T) -> *mut c_void {
        let slot = lock(&self.free).pop().map_or_else(
            || {
                Box::into_raw(Box::new(Slot {
                    tag: AtomicU32::new(DEAD_TAG),
                    value: UnsafeCell::new(MaybeUninit::uninit()),
                }))
            },
            |free| free.0,
        );
        // SAFETY: the slot was just made or taken from the free list, so it is dead and no
        // other thread reads its value; the tag is set after the value is written (Release),
        // so whoever sees it live (Acquire) sees the value.
        unsafe {
            (*(*slot).value.get()).write(value);
            (*slot).tag.store(self.tag, Release);
        }
        slot.cast()
    }

    /// The live value behind `p`; `None` for null, a dead handle or a foreign pointer.
    ///
    /// # Safety
    /// `p` is null or points to at least four readable, aligned bytes; while the reference
    /// lives, no other thread removes the handle (libzmq's contract: a socket is used by
    /// one thread at a time, and not after `zmq_close`).
    pub(crate) unsafe fn get<'a>(&self, p: *mut c_void) -> Option<&'a T> {
        // SAFETY: as the contract says, the tag's four bytes are readable.
        let slot = unsafe { p.cast::<Slot<T>>().as_ref() }?;
        if slot.tag.load(Acquire) != self.tag {
            return None;
        }
        // SAFETY: the live tag says this is one of our slots, and its value is initialised.
        Some(unsafe { (*slot.value.get()).assume_init_ref() })
    }

    /// Takes the live value behind `p` out of its slot, which becomes dead and free for
    /// reuse; `None` as for [`get`](Self::get), and for every remover but one of a handle.
    ///
    /// # Safety
    /// As for [`get`](Self::get), and no reference from `get` to this handle is used after.
    pub(crate) unsafe fn remove(&self, p: *mut c_void) -> Option<T> {
        // SAFETY: as for `get`.
        let slot = unsafe { p.cast::<Slot<T>>().as_ref() }?;
        // One remover wins the tag: a second close, even a racing one, is refused.
        slot.tag
            .compare_exchange(self.tag, DEAD_TAG, AcqRel, Relaxed)
            .ok()?;
        // SAFETY: the tag was live, so the value is initialised; now dead, nobody else
        // reads it, and it is read out once.
        let value = unsafe { (*slot.value.get()).assume_init_read() };
        lock(&self.free).push(Free(p.cast()));
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_removed_handle_is_dead_and_its_slot_reused() {
        // A static, as the library's pools are: the slots it never frees stay reachable.
        static POOL: Pool<String> = Pool::new(0x1234_5678);
        let pool = &POOL;
        let a = pool.insert("a".to_owned());
        // SAFETY: pointers from this pool, whose slots are never freed.
        unsafe {
            assert_eq!(pool.get(a).map(String::as_str), Some("a"));
            assert_eq!(pool.remove(a).as_deref(), Some("a"));
            assert!(pool.get(a).is_none());
            assert!(pool.remove(a).is_none());
            let b = pool.insert("b".to_owned());
            assert_eq!(b, a);
            assert_eq!(pool.get(b).map(String::as_str), Some("b"));
            assert!(pool.get(std::ptr::null_mut()).is_none());
            let other = Pool::<String>::new(0x8765_4321);
            assert!(other.get(b).is_none(), "another kind's tag");
            drop(pool.remove(b));
        }
    }
}
