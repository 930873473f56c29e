//! libzmq's utilities (users of the public API): Z85, the CURVE key helpers, `zmq_has`,
//! atomic counters, the stopwatch, `zmq_sleep`, threads and timers, as libzmq 4.3.5 exports
//! them.
//!
//! None of these touch a socket. The Z85 codec is `ferromq`'s (`ferromq_zmtp::z85`), which
//! the exported functions wrap. Each exported function checks the pointers it can check
//! (null, and the timers' tag) and reports libzmq's errno instead of crashing; none lets a
//! panic reach C.

use std::collections::BTreeMap;
use std::ffi::{c_char, c_int, c_long, c_ulong, c_void, CStr};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::guard;

// ---------------------------------------------------------------------------------------------
// Z85 (ZeroMQ RFC 32): `ferromq::z85_encode` / `z85_decode` behind libzmq's signatures.

/// Encodes `size` bytes at `data` as Z85 into `dest`, NUL-terminated; returns `dest`.
///
/// `NULL` and `EINVAL` if `size` is not a multiple of 4, or if `dest` (or `data`, when `size`
/// is not 0) is null.
///
/// # Safety
/// `data` points to `size` readable bytes; `dest` to `size * 5 / 4 + 1` writable bytes that do
/// not overlap them.
#[no_mangle]
pub unsafe extern "C" fn zmq_z85_encode(
    dest: *mut c_char,
    data: *const u8,
    size: usize,
) -> *mut c_char {
    guard(std::ptr::null_mut(), || {
        if size % 4 != 0 || dest.is_null() || (data.is_null() && size != 0) {
            return Err(libc::EINVAL);
        }
        let input: &[u8] = if size == 0 {
            &[]
        } else {
            // SAFETY: `data` is not null and, by the caller's contract, points to `size`
            // readable bytes that nobody writes while we read them.
            unsafe { std::slice::from_raw_parts(data, size) }
        };
        let text = ferromq::z85_encode(input).map_err(|_| libc::EINVAL)?;
        // SAFETY: `dest` is not null and, by the caller's contract, has room for
        // `size * 5 / 4 + 1` bytes: the `text.len() == size * 5 / 4` characters and the NUL.
        // The caller's contract also says it does not overlap `data`, which we are done with.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), dest.cast::<u8>(), text.len());
            *dest.add(text.len()) = 0;
        }
        Ok(dest)
    })
}

/// Decodes the NUL-terminated Z85 text `string` into `dest`; returns `dest`.
///
/// `NULL` and `EINVAL` if the text's length is 0 or not a multiple of 5, if it is not valid
/// Z85, or if either pointer is null. Nothing is written to `dest` then.
///
/// # Safety
/// `string` is null or a NUL-terminated string; `dest` is null or points to
/// `strlen(string) * 4 / 5` writable bytes that do not overlap it.
#[no_mangle]
pub unsafe extern "C" fn zmq_z85_decode(dest: *mut u8, string: *const c_char) -> *mut u8 {
    guard(std::ptr::null_mut(), || {
        if dest.is_null() || string.is_null() {
            return Err(libc::EINVAL);
        }
        // SAFETY: `string` is not null and, by the caller's contract, NUL-terminated.
        let text = unsafe { CStr::from_ptr(string) };
        let bytes = ferromq::z85_decode(text.to_bytes()).map_err(|_| libc::EINVAL)?;
        // SAFETY: `dest` is not null and, by the caller's contract, has room for
        // `strlen(string) * 4 / 5` bytes, which is `bytes.len()`; it does not overlap
        // `string`, and `bytes` is our own buffer.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), dest, bytes.len()) };
        Ok(dest)
    })
}

// ---------------------------------------------------------------------------------------------
// CURVE keys

/// Makes a CURVE key pair (`ferromq::curve_keypair`) and writes each key as 40 Z85
/// characters and a NUL: 0.
///
/// -1 and `EINVAL` if either pointer is null; `EFAULT` if the system gives no randomness.
/// Nothing is written then.
///
/// # Safety
/// Each pointer is null or points to 41 writable bytes.
#[no_mangle]
pub unsafe extern "C" fn zmq_curve_keypair(
    z85_public_key: *mut c_char,
    z85_secret_key: *mut c_char,
) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        unsafe { curve_keypair(z85_public_key, z85_secret_key) }
    })
}

/// `zmq_curve_keypair`'s work.
///
/// # Safety
/// As `zmq_curve_keypair`.
unsafe fn curve_keypair(
    z85_public_key: *mut c_char,
    z85_secret_key: *mut c_char,
) -> Result<c_int, c_int> {
    if z85_public_key.is_null() || z85_secret_key.is_null() {
        return Err(libc::EINVAL);
    }
    let pair = ferromq::curve_keypair().map_err(|_| libc::EFAULT)?;
    // SAFETY: both are not null and, by the contract, have 41 writable bytes.
    unsafe {
        write_key(z85_public_key, &pair.public_z85());
        write_key(z85_secret_key, &pair.secret_z85());
    }
    Ok(0)
}

/// Derives the public key of the secret key `z85_secret_key` (40 Z85 characters) and
/// writes it as 40 Z85 characters and a NUL: 0.
///
/// -1 and `EINVAL` if either pointer is null or the secret key is not 40 Z85 characters.
/// Nothing is written then.
///
/// # Safety
/// `z85_public_key` is null or points to 41 writable bytes; `z85_secret_key` is null or a
/// NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_curve_public(
    z85_public_key: *mut c_char,
    z85_secret_key: *const c_char,
) -> c_int {
    guard(-1, || {
        // SAFETY: the same contract.
        unsafe { curve_public(z85_public_key, z85_secret_key) }
    })
}

/// `zmq_curve_public`'s work.
///
/// # Safety
/// As `zmq_curve_public`.
unsafe fn curve_public(
    z85_public_key: *mut c_char,
    z85_secret_key: *const c_char,
) -> Result<c_int, c_int> {
    if z85_public_key.is_null() || z85_secret_key.is_null() {
        return Err(libc::EINVAL);
    }
    // SAFETY: not null and, by the contract, NUL-terminated.
    let secret = unsafe { CStr::from_ptr(z85_secret_key) }.to_bytes();
    if secret.len() != 40 {
        return Err(libc::EINVAL); // 40 Z85 characters, as libzmq reads the secret
    }
    let public = ferromq::curve_public(secret).map_err(|_| libc::EINVAL)?;
    // SAFETY: not null and, by the contract, 41 writable bytes.
    unsafe { write_key(z85_public_key, &public) };
    Ok(0)
}

/// A key's Z85 text in C's form: its 40 characters, then a NUL.
///
/// # Safety
/// `dest` points to `text.len() + 1` writable bytes that do not overlap `text`.
unsafe fn write_key(dest: *mut c_char, text: &str) {
    // SAFETY: as the contract says.
    unsafe {
        std::ptr::copy_nonoverlapping(text.as_ptr(), dest.cast::<u8>(), text.len());
        *dest.add(text.len()) = 0;
    }
}

// ---------------------------------------------------------------------------------------------
// Capabilities

/// The capabilities `zmq_has` reports, as libzmq 4.3.5 names them: `tcp` and `inproc` are
/// not among them (every build has those, and libzmq answers 0), and `pgm`, `tipc`, `norm`,
/// `vmci`, `ws`, `wss`, `gssapi` and `draft` are not built.
const CAPABILITIES: &[&[u8]] = &[b"ipc", b"curve"];

/// 1 if this library has `capability` (a transport or security mechanism), else 0; 0 for a
/// null pointer.
///
/// # Safety
/// `capability` is null or a NUL-terminated string.
#[no_mangle]
pub unsafe extern "C" fn zmq_has(capability: *const c_char) -> c_int {
    guard(0, || {
        if capability.is_null() {
            return Ok(0);
        }
        // SAFETY: `capability` is not null and, by the caller's contract, NUL-terminated.
        let name = unsafe { CStr::from_ptr(capability) }.to_bytes();
        Ok(c_int::from(CAPABILITIES.contains(&name)))
    })
}

// ---------------------------------------------------------------------------------------------
// Atomic counters

/// The counter behind a C pointer, or `None` for a null one.
///
/// # Safety
/// `counter` is null or a live pointer from `zmq_atomic_counter_new`.
unsafe fn counter<'a>(counter: *mut c_void) -> Option<&'a AtomicI32> {
    // SAFETY: by the caller's contract a non-null `counter` is a `Box<AtomicI32>` we leaked in
    // `zmq_atomic_counter_new` and not yet freed; shared references to an atomic are sound
    // from any number of threads.
    unsafe { counter.cast::<AtomicI32>().as_ref() }
}

/// A new atomic counter, set to 0. Free it with `zmq_atomic_counter_destroy`.
#[no_mangle]
pub extern "C" fn zmq_atomic_counter_new() -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        Ok(Box::into_raw(Box::new(AtomicI32::new(0))).cast::<c_void>())
    })
}

/// Sets the counter to `value`; does nothing for a null counter.
///
/// # Safety
/// `counter` is null or a live pointer from `zmq_atomic_counter_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_set(counter_: *mut c_void, value: c_int) {
    guard((), || {
        // SAFETY: the caller's contract is `counter`'s.
        if let Some(c) = unsafe { counter(counter_) } {
            c.store(value, Ordering::SeqCst);
        }
        Ok(())
    })
}

/// Adds 1 to the counter and returns its value before; 0 for a null counter.
///
/// # Safety
/// `counter` is null or a live pointer from `zmq_atomic_counter_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_inc(counter_: *mut c_void) -> c_int {
    guard(0, || {
        // SAFETY: the caller's contract is `counter`'s.
        Ok(unsafe { counter(counter_) }.map_or(0, |c| c.fetch_add(1, Ordering::AcqRel)))
    })
}

/// Takes 1 from the counter; returns 0 if that brought it to zero, else 1 (as libzmq's
/// `atomic_counter_t::sub`, a counter that goes below zero also gives 1); 0 for a null counter.
///
/// # Safety
/// `counter` is null or a live pointer from `zmq_atomic_counter_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_dec(counter_: *mut c_void) -> c_int {
    guard(0, || {
        // SAFETY: the caller's contract is `counter`'s.
        Ok(unsafe { counter(counter_) }.map_or(0, |c| {
            let before = c.fetch_sub(1, Ordering::AcqRel);
            c_int::from(before.wrapping_sub(1) != 0)
        }))
    })
}

/// The counter's value; 0 for a null counter.
///
/// # Safety
/// `counter` is null or a live pointer from `zmq_atomic_counter_new`.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_value(counter_: *mut c_void) -> c_int {
    guard(0, || {
        // SAFETY: the caller's contract is `counter`'s.
        Ok(unsafe { counter(counter_) }.map_or(0, |c| c.load(Ordering::SeqCst)))
    })
}

/// Frees the counter at `*counter_p` and sets `*counter_p` to NULL; does nothing if
/// `counter_p` or `*counter_p` is null.
///
/// # Safety
/// `counter_p` is null or points to a writable pointer that is null or a live pointer from
/// `zmq_atomic_counter_new`, which no other thread is using.
#[no_mangle]
pub unsafe extern "C" fn zmq_atomic_counter_destroy(counter_p: *mut *mut c_void) {
    guard((), || {
        if counter_p.is_null() {
            return Ok(());
        }
        // SAFETY: `counter_p` is not null and, by the caller's contract, points to a readable
        // and writable pointer.
        let c = unsafe { counter_p.replace(std::ptr::null_mut()) };
        if !c.is_null() {
            // SAFETY: by the caller's contract `c` is a `Box<AtomicI32>` leaked in
            // `zmq_atomic_counter_new`, not yet freed and no longer used by anyone else; we
            // have just cleared the caller's copy of it.
            drop(unsafe { Box::from_raw(c.cast::<AtomicI32>()) });
        }
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Stopwatch

/// Starts a stopwatch on the monotonic clock; returns its handle, freed by
/// `zmq_stopwatch_stop`.
#[no_mangle]
pub extern "C" fn zmq_stopwatch_start() -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        Ok(Box::into_raw(Box::new(Instant::now())).cast::<c_void>())
    })
}

/// Microseconds since `watch` started, truncated to `unsigned long` as libzmq does.
fn micros_since(start: &Instant) -> c_ulong {
    start.elapsed().as_micros() as c_ulong
}

/// Microseconds since the stopwatch started; it keeps running. 0 for a null watch.
///
/// # Safety
/// `watch` is null or a live pointer from `zmq_stopwatch_start`.
#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_intermediate(watch: *mut c_void) -> c_ulong {
    guard(0, || {
        // SAFETY: by the caller's contract a non-null `watch` is a `Box<Instant>` leaked in
        // `zmq_stopwatch_start` and not yet freed; we only read it.
        let start = unsafe { watch.cast::<Instant>().as_ref() };
        Ok(start.map_or(0, micros_since))
    })
}

/// Microseconds since the stopwatch started; frees it. 0 for a null watch.
///
/// # Safety
/// `watch` is null or a live pointer from `zmq_stopwatch_start`, which nobody uses after.
#[no_mangle]
pub unsafe extern "C" fn zmq_stopwatch_stop(watch: *mut c_void) -> c_ulong {
    guard(0, || {
        if watch.is_null() {
            return Ok(0);
        }
        // SAFETY: by the caller's contract `watch` is a `Box<Instant>` leaked in
        // `zmq_stopwatch_start`, not yet freed, and given up by the caller now.
        let start = unsafe { Box::from_raw(watch.cast::<Instant>()) };
        Ok(micros_since(&start))
    })
}

// ---------------------------------------------------------------------------------------------
// Sleep and threads

/// Sleeps the calling thread for `seconds` seconds (not at all for 0 or less).
#[no_mangle]
pub extern "C" fn zmq_sleep(seconds: c_int) {
    guard((), || {
        if let Ok(s) = u64::try_from(seconds) {
            std::thread::sleep(Duration::from_secs(s));
        }
        Ok(())
    })
}

/// libzmq's `zmq_thread_fn`: `void (void *)`.
pub type ZmqThreadFn = unsafe extern "C" fn(*mut c_void);

/// The argument given to a thread's function, moved to that thread.
struct ThreadArg(*mut c_void);

// SAFETY: the pointer is only handed back to the C function the caller chose to run on the new
// thread, with the argument the caller chose; sharing it across threads is the purpose of
// `zmq_threadstart`, and keeping whatever it points to safe to use there is the caller's
// contract (as with libzmq and pthread_create).
unsafe impl Send for ThreadArg {}

impl ThreadArg {
    /// The pointer. A method, not a field access, so that a closure captures the whole
    /// (`Send`) wrapper rather than its raw-pointer field.
    fn get(self) -> *mut c_void {
        self.0
    }
}

/// Runs `func(arg)` on a new thread; returns its handle, for `zmq_threadclose`.
///
/// `NULL` and `EINVAL` if `func` is null; `NULL` and `EAGAIN` (or the system's errno) if no
/// thread can be started.
///
/// # Safety
/// `func` is null or a function that may be called on another thread with `arg`, and `arg`
/// stays valid for it until it returns. `func` must not unwind.
#[no_mangle]
pub unsafe extern "C" fn zmq_threadstart(
    func: Option<ZmqThreadFn>,
    arg: *mut c_void,
) -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        let func = func.ok_or(libc::EINVAL)?;
        let arg = ThreadArg(arg);
        let handle = std::thread::Builder::new()
            .name("ZMQapp".into())
            .spawn(move || {
                let arg = arg.get();
                // SAFETY: by `zmq_threadstart`'s contract `func` may be called on this thread
                // with `arg`, which stays valid until it returns.
                unsafe { func(arg) };
            })
            .map_err(|e| e.raw_os_error().unwrap_or(libc::EAGAIN))?;
        Ok(Box::into_raw(Box::new(handle)).cast::<c_void>())
    })
}

/// Waits for the thread to finish, then frees its handle; does nothing for a null handle.
///
/// # Safety
/// `thread` is null or a handle from `zmq_threadstart` not yet closed, which nobody uses
/// after.
#[no_mangle]
pub unsafe extern "C" fn zmq_threadclose(thread: *mut c_void) {
    guard((), || {
        if thread.is_null() {
            return Ok(());
        }
        // SAFETY: by the caller's contract `thread` is a `Box<JoinHandle<()>>` leaked in
        // `zmq_threadstart`, not yet freed, and given up by the caller now.
        let handle = unsafe { Box::from_raw(thread.cast::<JoinHandle<()>>()) };
        // The thread runs a C function, which cannot unwind into it: a join error is not
        // possible, and there is nothing to report if it were.
        let _ = handle.join();
        Ok(())
    })
}

// ---------------------------------------------------------------------------------------------
// Timers

/// libzmq's `zmq_timer_fn`: `void (int timer_id, void *arg)`.
pub type ZmqTimerFn = unsafe extern "C" fn(c_int, *mut c_void);

/// Marks a live timer set (libzmq's own value), so that another pointer is refused.
const TIMERS_TAG: u32 = 0xCAFE_DADA;
/// Marks a destroyed timer set.
const TIMERS_DEAD_TAG: u32 = 0xDEAD_BEEF;

/// One timer.
#[derive(Clone, Copy)]
struct Timer {
    id: c_int,
    /// Milliseconds between runs.
    interval: usize,
    handler: ZmqTimerFn,
    arg: *mut c_void,
}

/// A timer set's state, behind its lock.
struct TimersState {
    /// The last id given; ids start at 1.
    last_id: c_int,
    /// Breaks ties between timers due at the same time: first added (or rescheduled), first
    /// run, as libzmq's multimap does.
    seq: u64,
    /// The timers by (due time in microseconds since `epoch`, seq).
    timers: BTreeMap<(u64, u64), Timer>,
}

impl TimersState {
    /// The key of the timer `id`, if it exists.
    fn find(&self, id: c_int) -> Option<(u64, u64)> {
        self.timers
            .iter()
            .find(|(_, t)| t.id == id)
            .map(|(k, _)| *k)
    }

    /// Schedules `timer` `timer.interval` milliseconds after `now`.
    fn schedule(&mut self, now: u64, timer: Timer) {
        let interval_us = u64::try_from(timer.interval)
            .unwrap_or(u64::MAX)
            .saturating_mul(1000);
        self.seq += 1;
        self.timers
            .insert((now.saturating_add(interval_us), self.seq), timer);
    }
}

/// What `zmq_timers_new` returns: libzmq's `timers_t`. The tag comes first so that it can be
/// checked before anything else is read.
#[repr(C)]
struct Timers {
    tag: u32,
    /// The clock's origin for this set.
    epoch: Instant,
    state: Mutex<TimersState>,
}

impl Timers {
    /// Microseconds since the set was made.
    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    /// The state, locked; a panic elsewhere (which cannot leave it inconsistent: every change
    /// is one map operation) does not poison it for the caller.
    fn lock(&self) -> MutexGuard<'_, TimersState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The timer set behind a C pointer, or `EFAULT` for a null pointer or one without the tag.
///
/// # Safety
/// `timers` is null or points to readable memory at least as large as a `Timers`; if it holds
/// the live tag, it is a live pointer from `zmq_timers_new`.
unsafe fn timers<'a>(timers: *mut c_void) -> Result<&'a Timers, c_int> {
    let t = timers.cast::<Timers>();
    if t.is_null() {
        return Err(libc::EFAULT);
    }
    // SAFETY: `t` is not null and, by the caller's contract, readable; the tag is the first
    // field of the `repr(C)` struct, and a `u32` may hold any bits. (A foreign pointer may be
    // misaligned for the struct, hence the unaligned read.)
    let tag = unsafe { std::ptr::addr_of!((*t).tag).read_unaligned() };
    if tag != TIMERS_TAG {
        return Err(libc::EFAULT);
    }
    // SAFETY: with the live tag, by the caller's contract, `t` is a `Box<Timers>` leaked in
    // `zmq_timers_new` and not yet freed. Its state is behind a mutex, so shared references
    // from several threads are sound.
    Ok(unsafe { &*t })
}

/// A new, empty timer set. Free it with `zmq_timers_destroy`.
#[no_mangle]
pub extern "C" fn zmq_timers_new() -> *mut c_void {
    guard(std::ptr::null_mut(), || {
        let t = Timers {
            tag: TIMERS_TAG,
            epoch: Instant::now(),
            state: Mutex::new(TimersState {
                last_id: 0,
                seq: 0,
                timers: BTreeMap::new(),
            }),
        };
        Ok(Box::into_raw(Box::new(t)).cast::<c_void>())
    })
}

/// Frees the timer set at `*timers_p` and sets `*timers_p` to NULL; 0, or -1 with `EFAULT`
/// if `timers_p` is null or `*timers_p` is not a live timer set.
///
/// # Safety
/// `timers_p` is null or points to a writable pointer that meets `zmq_timers_add`'s contract
/// for `timers`; no other thread uses the set, and no handler of it is running.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_destroy(timers_p: *mut *mut c_void) -> c_int {
    guard(-1, || {
        if timers_p.is_null() {
            return Err(libc::EFAULT);
        }
        // SAFETY: `timers_p` is not null and, by the caller's contract, readable.
        let p = unsafe { timers_p.read() };
        // SAFETY: the caller's contract for `*timers_p` is `timers`'.
        unsafe { timers(p) }?;
        // SAFETY: `timers` found the live tag, so `p` is a `Box<Timers>` leaked in
        // `zmq_timers_new`, not yet freed, and (by the caller's contract) used by no one else.
        let mut t = unsafe { Box::from_raw(p.cast::<Timers>()) };
        t.tag = TIMERS_DEAD_TAG;
        drop(t);
        // SAFETY: `timers_p` is not null and, by the caller's contract, writable.
        unsafe { timers_p.write(std::ptr::null_mut()) };
        Ok(0)
    })
}

/// Adds a timer that calls `handler(id, arg)` every `interval` milliseconds, the first time
/// `interval` milliseconds from now (when `zmq_timers_execute` is called); returns its id
/// (> 0). -1 with `EFAULT` if `timers` is not a live timer set or `handler` is null.
///
/// # Safety
/// `timers` is null, or a live pointer from `zmq_timers_new`, or points to readable memory at
/// least as large as a timer set that does not begin with its tag. `handler` may be called
/// with `arg` by whichever thread calls `zmq_timers_execute`, and must not unwind.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_add(
    timers_: *mut c_void,
    interval: usize,
    handler: Option<ZmqTimerFn>,
    arg: *mut c_void,
) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's contract is `timers`'.
        let t = unsafe { timers(timers_) }?;
        let handler = handler.ok_or(libc::EFAULT)?;
        let now = t.now();
        let mut s = t.lock();
        // Ids wrap past `c_int::MAX` back to 1, never to 0 or below (which mean failure).
        s.last_id = if s.last_id == c_int::MAX {
            1
        } else {
            s.last_id + 1
        };
        let id = s.last_id;
        s.schedule(
            now,
            Timer {
                id,
                interval,
                handler,
                arg,
            },
        );
        Ok(id)
    })
}

/// Cancels the timer `timer_id`; 0, or -1 with `EINVAL` if there is no such timer (or it was
/// cancelled already), or with `EFAULT` if `timers` is not a live timer set.
///
/// # Safety
/// As `zmq_timers_add`'s for `timers`.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_cancel(timers_: *mut c_void, timer_id: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's contract is `timers`'.
        let t = unsafe { timers(timers_) }?;
        let mut s = t.lock();
        let key = s.find(timer_id).ok_or(libc::EINVAL)?;
        s.timers.remove(&key);
        Ok(0)
    })
}

/// Sets the timer's interval to `interval` milliseconds and reschedules it that long from now;
/// 0, or -1 with `EINVAL` if there is no such timer, or with `EFAULT` if `timers` is not a
/// live timer set.
///
/// # Safety
/// As `zmq_timers_add`'s for `timers`.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_set_interval(
    timers_: *mut c_void,
    timer_id: c_int,
    interval: usize,
) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's contract is `timers`'.
        let t = unsafe { timers(timers_) }?;
        let now = t.now();
        let mut s = t.lock();
        let key = s.find(timer_id).ok_or(libc::EINVAL)?;
        let mut timer = s.timers.remove(&key).ok_or(libc::EINVAL)?;
        timer.interval = interval;
        s.schedule(now, timer);
        Ok(0)
    })
}

/// Reschedules the timer its interval from now; 0, or -1 with `EINVAL` if there is no such
/// timer, or with `EFAULT` if `timers` is not a live timer set.
///
/// # Safety
/// As `zmq_timers_add`'s for `timers`.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_reset(timers_: *mut c_void, timer_id: c_int) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's contract is `timers`'.
        let t = unsafe { timers(timers_) }?;
        let now = t.now();
        let mut s = t.lock();
        let key = s.find(timer_id).ok_or(libc::EINVAL)?;
        let timer = s.timers.remove(&key).ok_or(libc::EINVAL)?;
        s.schedule(now, timer);
        Ok(0)
    })
}

/// Milliseconds until the next timer is due (0 if one is due now), rounded up so that waiting
/// that long makes it due; -1 if there are no timers, and -1 with `EFAULT` if `timers` is not
/// a live timer set.
///
/// # Safety
/// As `zmq_timers_add`'s for `timers`.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_timeout(timers_: *mut c_void) -> c_long {
    guard(-1, || {
        // SAFETY: the caller's contract is `timers`'.
        let t = unsafe { timers(timers_) }?;
        let now = t.now();
        let s = t.lock();
        Ok(match s.timers.keys().next() {
            None => -1,
            Some(&(when, _)) => {
                let ms = when.saturating_sub(now).div_ceil(1000);
                c_long::try_from(ms).unwrap_or(c_long::MAX)
            }
        })
    })
}

/// Runs the handler of every timer due now, earliest first, rescheduling each its interval
/// from now before its handler runs; 0, or -1 with `EFAULT` if `timers` is not a live timer
/// set.
///
/// The lock is not held while a handler runs: a handler may add, cancel, reset or change
/// timers of this set. A timer it cancels, or moves into the future, before its turn in this
/// round does not run; a timer it adds runs at the earliest in the next round.
///
/// # Safety
/// As `zmq_timers_add`'s for `timers`; a handler must not destroy the set.
#[no_mangle]
pub unsafe extern "C" fn zmq_timers_execute(timers_: *mut c_void) -> c_int {
    guard(-1, || {
        // SAFETY: the caller's contract is `timers`'.
        let t = unsafe { timers(timers_) }?;
        let now = t.now();
        // The timers due at the start, in order; each is looked up again before it runs.
        let due: Vec<c_int> = t
            .lock()
            .timers
            .iter()
            .take_while(|(&(when, _), _)| when <= now)
            .map(|(_, timer)| timer.id)
            .collect();
        for id in due {
            let timer = {
                let mut s = t.lock();
                let Some(key) = s.find(id) else { continue };
                if key.0 > now {
                    continue;
                }
                let Some(timer) = s.timers.remove(&key) else {
                    continue;
                };
                s.schedule(now, timer);
                timer
            };
            // SAFETY: by `zmq_timers_add`'s contract the handler may be called with its
            // argument on this thread; the lock is released, so it may use the set.
            unsafe { (timer.handler)(timer.id, timer.arg) };
        }
        Ok(0)
    })
}

// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errno;
    use std::sync::atomic::AtomicBool;

    /// RFC 32's test vector.
    const HELLO: [u8; 8] = [0x86, 0x4F, 0xD2, 0x6F, 0xB5, 0x59, 0xF7, 0x5B];

    #[test]
    fn z85_round_trip_rfc32_vector() {
        let mut text = [0x55 as c_char; 11];
        // SAFETY: `text` has 8 * 5 / 4 + 1 bytes; `HELLO` 8 readable ones.
        let r = unsafe { zmq_z85_encode(text.as_mut_ptr(), HELLO.as_ptr(), HELLO.len()) };
        assert_eq!(r, text.as_mut_ptr());
        // SAFETY: `zmq_z85_encode` NUL-terminated `text`.
        let s = unsafe { CStr::from_ptr(text.as_ptr()) };
        assert_eq!(s.to_bytes(), b"HelloWorld");

        let mut bytes = [0u8; 8];
        // SAFETY: `text` is NUL-terminated with 10 characters; `bytes` has 10 * 4 / 5.
        let r = unsafe { zmq_z85_decode(bytes.as_mut_ptr(), text.as_ptr()) };
        assert_eq!(r, bytes.as_mut_ptr());
        assert_eq!(bytes, HELLO);
    }

    #[test]
    fn z85_encode_bad_length_is_einval() {
        let mut text = [0 as c_char; 16];
        crate::set_errno(0);
        // SAFETY: `text` is large enough for any output of 7 bytes; `HELLO` has 7 readable.
        let r = unsafe { zmq_z85_encode(text.as_mut_ptr(), HELLO.as_ptr(), 7) };
        assert!(r.is_null());
        assert_eq!(errno(), libc::EINVAL);
        crate::set_errno(0);
        // SAFETY: a null destination is refused before any write.
        let r = unsafe { zmq_z85_encode(std::ptr::null_mut(), HELLO.as_ptr(), 8) };
        assert!(r.is_null());
        assert_eq!(errno(), libc::EINVAL);
    }

    #[test]
    fn z85_decode_bad_input_is_einval() {
        for bad in [
            &b"HelloWorl\0"[..], // 9 characters
            b"\0",               // empty
            b"Hello Worl\0",     // a space is not Z85
            b"Hello\"orld\0",    // nor is a quote
            b"Hello\x7fWorl\0",  // nor DEL
            b"Hello\xc3\xa9orl\0",
            b"0000 \0",  // a bad character whose group would still fit in 32 bits
            b"0000\"\0", // the same with a quote
            b"%nSc1\0",  // more than 32 bits
        ] {
            let mut bytes = [0xAAu8; 8];
            crate::set_errno(0);
            // SAFETY: `bad` is NUL-terminated; `bytes` is large enough for its decoding.
            let r = unsafe { zmq_z85_decode(bytes.as_mut_ptr(), bad.as_ptr().cast()) };
            assert!(r.is_null(), "{bad:?} decoded");
            assert_eq!(errno(), libc::EINVAL, "{bad:?}");
            assert_eq!(bytes, [0xAA; 8], "{bad:?} wrote to dest");
        }
        crate::set_errno(0);
        let mut bytes = [0u8; 8];
        // SAFETY: a null string is refused before any read.
        let r = unsafe { zmq_z85_decode(bytes.as_mut_ptr(), std::ptr::null()) };
        assert!(r.is_null());
        assert_eq!(errno(), libc::EINVAL);
    }

    #[test]
    fn curve_keys_are_libzmqs() {
        let mut public = [0 as c_char; 41];
        let mut secret = [0 as c_char; 41];
        // SAFETY: the buffers are 41 bytes, as libzmq asks.
        let r = unsafe { curve_keypair(public.as_mut_ptr(), secret.as_mut_ptr()) };
        assert_eq!(r, Ok(0));
        for key in [&public, &secret] {
            // SAFETY: both were just written NUL-terminated.
            let text = unsafe { CStr::from_ptr(key.as_ptr()) };
            assert_eq!(ferromq::z85_decode(text.to_bytes()).unwrap().len(), 32);
        }
        let mut derived = [0 as c_char; 41];
        // SAFETY: 41 bytes, and a NUL-terminated secret.
        let r = unsafe { curve_public(derived.as_mut_ptr(), secret.as_ptr()) };
        assert_eq!(r, Ok(0));
        assert_eq!(derived, public);
        // libzmq's test pair: libzmq 4.3.5 derives this public key from this secret.
        let libzmq_secret = c"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh6";
        // SAFETY: as above.
        let r = unsafe { curve_public(derived.as_mut_ptr(), libzmq_secret.as_ptr()) };
        assert_eq!(r, Ok(0));
        // SAFETY: written NUL-terminated.
        let derived_text = unsafe { CStr::from_ptr(derived.as_ptr()) };
        assert_eq!(derived_text, c"rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7");
        for bad in [
            c"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh",
            c"JTKVSB%%)wK0E.X)V>+}o?pNmC{O&4W4b!Ni{Lh~",
            c"",
        ] {
            let mut untouched = [7 as c_char; 41];
            // SAFETY: as above.
            let r = unsafe { curve_public(untouched.as_mut_ptr(), bad.as_ptr()) };
            assert_eq!(r, Err(libc::EINVAL), "{bad:?}");
            assert_eq!(untouched, [7; 41]);
        }
        // SAFETY: null pointers are refused before any use.
        let r = unsafe { curve_keypair(std::ptr::null_mut(), secret.as_mut_ptr()) };
        assert_eq!(r, Err(libc::EINVAL));
    }

    #[test]
    fn has_reports_ipc_and_curve_as_libzmq_does() {
        let has = |name: &CStr| {
            // SAFETY: `name` is NUL-terminated.
            unsafe { zmq_has(name.as_ptr()) }
        };
        assert_eq!((has(c"ipc"), has(c"curve")), (1, 1));
        for no in [
            c"tcp", c"inproc", c"pgm", c"tipc", c"norm", c"CURVE", c"gssapi", c"draft", c"vmci",
            c"ws", c"wss", c"WS", c"WSS", c"", c"TCP", c"tcp ",
        ] {
            assert_eq!(has(no), 0, "{no:?}");
        }
        // SAFETY: null is accepted.
        assert_eq!(unsafe { zmq_has(std::ptr::null()) }, 0);
    }

    #[test]
    fn atomic_counter_returns_as_libzmq() {
        let mut c = zmq_atomic_counter_new();
        assert!(!c.is_null());
        // SAFETY: `c` is a live counter until it is destroyed at the end.
        unsafe {
            assert_eq!(zmq_atomic_counter_value(c), 0);
            assert_eq!(zmq_atomic_counter_inc(c), 0);
            assert_eq!(zmq_atomic_counter_inc(c), 1);
            assert_eq!(zmq_atomic_counter_value(c), 2);
            assert_eq!(zmq_atomic_counter_dec(c), 1);
            assert_eq!(zmq_atomic_counter_dec(c), 0);
            assert_eq!(zmq_atomic_counter_value(c), 0);
            zmq_atomic_counter_set(c, 5);
            assert_eq!(zmq_atomic_counter_value(c), 5);
            assert_eq!(zmq_atomic_counter_inc(c), 5);
            zmq_atomic_counter_set(c, 0);
            // Below zero is "not zero", as in libzmq.
            assert_eq!(zmq_atomic_counter_dec(c), 1);
            assert_eq!(zmq_atomic_counter_value(c), -1);
            zmq_atomic_counter_destroy(&mut c);
        }
        assert!(c.is_null());
        // SAFETY: null counters and null handles are accepted.
        unsafe {
            zmq_atomic_counter_destroy(&mut c);
            zmq_atomic_counter_destroy(std::ptr::null_mut());
            zmq_atomic_counter_set(c, 1);
            assert_eq!(zmq_atomic_counter_inc(c), 0);
            assert_eq!(zmq_atomic_counter_dec(c), 0);
            assert_eq!(zmq_atomic_counter_value(c), 0);
        }
    }

    #[test]
    fn atomic_counter_across_threads() {
        struct P(*mut c_void);
        // SAFETY: the counter is an atomic, usable from any thread; it outlives the scope.
        unsafe impl Sync for P {}
        let c = P(zmq_atomic_counter_new());
        let c = &c;
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(move || {
                    for _ in 0..1000 {
                        // SAFETY: `c.0` is live until after the scope.
                        unsafe { zmq_atomic_counter_inc(c.0) };
                    }
                });
            }
        });
        let mut p = c.0;
        // SAFETY: `p` is live; destroyed once.
        unsafe {
            assert_eq!(zmq_atomic_counter_value(p), 4000);
            zmq_atomic_counter_destroy(&mut p);
        }
    }

    #[test]
    fn stopwatch_measures_microseconds() {
        let w = zmq_stopwatch_start();
        assert!(!w.is_null());
        std::thread::sleep(Duration::from_millis(5));
        // SAFETY: `w` is live until stopped.
        let mid = unsafe { zmq_stopwatch_intermediate(w) };
        assert!(mid >= 5000, "{mid}");
        // SAFETY: `w` is live; stopped once.
        let end = unsafe { zmq_stopwatch_stop(w) };
        assert!(end >= mid);
        assert!(end < 60_000_000, "{end}");
        // SAFETY: null is accepted.
        unsafe {
            assert_eq!(zmq_stopwatch_intermediate(std::ptr::null_mut()), 0);
            assert_eq!(zmq_stopwatch_stop(std::ptr::null_mut()), 0);
        }
        zmq_sleep(0);
        zmq_sleep(-1);
    }

    unsafe extern "C" fn set_flag(arg: *mut c_void) {
        // SAFETY: the test passes a pointer to an `AtomicBool` that outlives the thread.
        let flag = unsafe { &*arg.cast::<AtomicBool>() };
        std::thread::sleep(Duration::from_millis(20));
        flag.store(true, Ordering::SeqCst);
    }

    #[test]
    fn thread_runs_and_is_joined() {
        let flag = AtomicBool::new(false);
        // SAFETY: `set_flag` takes the `AtomicBool`, which lives past the join below.
        let t =
            unsafe { zmq_threadstart(Some(set_flag), std::ptr::from_ref(&flag).cast_mut().cast()) };
        assert!(!t.is_null());
        // SAFETY: `t` is a live handle, closed once.
        unsafe { zmq_threadclose(t) };
        // The thread sleeps before it sets the flag: only a real join sees it set.
        assert!(flag.load(Ordering::SeqCst));

        crate::set_errno(0);
        // SAFETY: a null function is refused.
        let t = unsafe { zmq_threadstart(None, std::ptr::null_mut()) };
        assert!(t.is_null());
        assert_eq!(errno(), libc::EINVAL);
        // SAFETY: null is accepted.
        unsafe { zmq_threadclose(std::ptr::null_mut()) };
    }

    /// What the timer tests' handlers see: the ids in the order they fired, and the set (for
    /// handlers that change it).
    struct Log {
        fired: Mutex<Vec<c_int>>,
        timers: *mut c_void,
        /// The timer `cancel_other` cancels.
        victim: AtomicI32,
    }

    unsafe extern "C" fn record(id: c_int, arg: *mut c_void) {
        // SAFETY: the tests pass a `Log` that outlives the timers.
        let log = unsafe { &*arg.cast::<Log>() };
        log.fired.lock().unwrap().push(id);
    }

    unsafe extern "C" fn cancel_self_and_other(id: c_int, arg: *mut c_void) {
        // SAFETY: as in `record`.
        let log = unsafe { &*arg.cast::<Log>() };
        log.fired.lock().unwrap().push(id);
        // SAFETY: `log.timers` is the live set this handler runs from.
        unsafe {
            assert_eq!(zmq_timers_cancel(log.timers, id), 0);
            let victim = log.victim.load(Ordering::SeqCst);
            assert_eq!(zmq_timers_cancel(log.timers, victim), 0);
        }
    }

    unsafe extern "C" fn postpone_other(id: c_int, arg: *mut c_void) {
        // SAFETY: as in `record`.
        let log = unsafe { &*arg.cast::<Log>() };
        log.fired.lock().unwrap().push(id);
        let victim = log.victim.load(Ordering::SeqCst);
        // SAFETY: `log.timers` is the live set this handler runs from.
        let r = unsafe { zmq_timers_set_interval(log.timers, victim, 1_000_000) };
        assert_eq!(r, 0);
    }

    fn new_log(timers: *mut c_void) -> Log {
        Log {
            fired: Mutex::new(Vec::new()),
            timers,
            victim: AtomicI32::new(0),
        }
    }

    /// Drives the set until `done` or 5 s have passed: waits as long as `zmq_timers_timeout`
    /// says, then executes.
    fn drive(timers: *mut c_void, done: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while !done() {
            assert!(Instant::now() < deadline, "timers did not fire in time");
            // SAFETY: `timers` is live for the test.
            let wait = unsafe { zmq_timers_timeout(timers) };
            assert!(wait >= 0, "no timer left to wait for");
            std::thread::sleep(Duration::from_millis(wait as u64));
            // SAFETY: as above.
            assert_eq!(unsafe { zmq_timers_execute(timers) }, 0);
        }
    }

    #[test]
    fn timers_fire_in_order_and_repeat() {
        let mut timers = zmq_timers_new();
        assert!(!timers.is_null());
        let log = new_log(timers);
        let arg = std::ptr::from_ref(&log).cast_mut().cast::<c_void>();
        // SAFETY: `timers` is live until destroyed; `log` outlives it.
        unsafe {
            assert_eq!(zmq_timers_timeout(timers), -1);
            let slow = zmq_timers_add(timers, 300, Some(record), arg);
            let fast = zmq_timers_add(timers, 20, Some(record), arg);
            assert!(slow > 0 && fast > 0 && slow != fast);
            let wait = zmq_timers_timeout(timers);
            assert!((0..=20).contains(&wait), "{wait}");
            // Nothing is due yet.
            assert_eq!(zmq_timers_execute(timers), 0);
            assert!(log.fired.lock().unwrap().is_empty());

            drive(timers, || log.fired.lock().unwrap().contains(&slow));
            let fired = log.fired.lock().unwrap().clone();
            // fast (20 ms) fires first and again (at 20, 40, ...) before slow (300 ms) fires,
            // once, last: a margin of 260 ms for a slow machine.
            assert!(fired.len() >= 3, "{fired:?}");
            assert_eq!(&fired[..2], &[fast, fast], "{fired:?}");
            assert_eq!(
                fired.iter().filter(|&&id| id == slow).count(),
                1,
                "{fired:?}"
            );
            assert_eq!(fired.last(), Some(&slow), "{fired:?}");
            assert!(fired.len() <= 16, "fast fired too often: {fired:?}");

            // Cancelled timers stop; an unknown or already cancelled id is EINVAL.
            assert_eq!(zmq_timers_cancel(timers, fast), 0);
            crate::set_errno(0);
            assert_eq!(zmq_timers_cancel(timers, fast), -1);
            assert_eq!(errno(), libc::EINVAL);
            crate::set_errno(0);
            assert_eq!(zmq_timers_cancel(timers, 12345), -1);
            assert_eq!(errno(), libc::EINVAL);
            crate::set_errno(0);
            assert_eq!(zmq_timers_reset(timers, 12345), -1);
            assert_eq!(errno(), libc::EINVAL);
            crate::set_errno(0);
            assert_eq!(zmq_timers_set_interval(timers, 12345, 1), -1);
            assert_eq!(errno(), libc::EINVAL);

            // A long interval pushes slow out; reset keeps it there.
            assert_eq!(zmq_timers_set_interval(timers, slow, 1_000_000), 0);
            let wait = zmq_timers_timeout(timers);
            assert!((999_000..=1_000_000).contains(&wait), "{wait}");
            assert_eq!(zmq_timers_reset(timers, slow), 0);
            let wait = zmq_timers_timeout(timers);
            assert!((999_000..=1_000_000).contains(&wait), "{wait}");
            // And a short one brings it back.
            assert_eq!(zmq_timers_set_interval(timers, slow, 0), 0);
            assert_eq!(zmq_timers_timeout(timers), 0);
            let before = log.fired.lock().unwrap().len();
            assert_eq!(zmq_timers_execute(timers), 0);
            assert_eq!(log.fired.lock().unwrap()[before..], [slow]);

            assert_eq!(zmq_timers_cancel(timers, slow), 0);
            assert_eq!(zmq_timers_timeout(timers), -1);

            assert_eq!(zmq_timers_destroy(&mut timers), 0);
        }
        assert!(timers.is_null());
    }

    #[test]
    fn a_handler_may_cancel_timers() {
        let mut timers = zmq_timers_new();
        let log = new_log(timers);
        let arg = std::ptr::from_ref(&log).cast_mut().cast::<c_void>();
        // SAFETY: `timers` is live until destroyed; `log` outlives it.
        unsafe {
            // Both due at once: the first cancels itself and the second, which must not run.
            let first = zmq_timers_add(timers, 0, Some(cancel_self_and_other), arg);
            let second = zmq_timers_add(timers, 0, Some(record), arg);
            log.victim.store(second, Ordering::SeqCst);
            assert_eq!(zmq_timers_execute(timers), 0);
            assert_eq!(*log.fired.lock().unwrap(), [first]);
            assert_eq!(zmq_timers_timeout(timers), -1);

            // Both due at once again: the first moves the second 1000 s away, so it must not
            // run in this round.
            let first = zmq_timers_add(timers, 0, Some(postpone_other), arg);
            let second = zmq_timers_add(timers, 0, Some(record), arg);
            log.victim.store(second, Ordering::SeqCst);
            log.fired.lock().unwrap().clear();
            assert_eq!(zmq_timers_execute(timers), 0);
            assert_eq!(*log.fired.lock().unwrap(), [first]);
            assert_eq!(zmq_timers_destroy(&mut timers), 0);
        }
    }

    #[test]
    fn timers_refuse_null_and_foreign_pointers() {
        let mut not_timers = [0u64; 16];
        let foreign = not_timers.as_mut_ptr().cast::<c_void>();
        for p in [std::ptr::null_mut(), foreign] {
            // SAFETY: null, or readable memory larger than a timer set without its tag.
            unsafe {
                let checks: [(&str, c_long); 7] = [
                    ("add", zmq_timers_add(p, 1, Some(record), p).into()),
                    ("cancel", zmq_timers_cancel(p, 1).into()),
                    ("set_interval", zmq_timers_set_interval(p, 1, 1).into()),
                    ("reset", zmq_timers_reset(p, 1).into()),
                    ("timeout", zmq_timers_timeout(p)),
                    ("execute", zmq_timers_execute(p).into()),
                    ("destroy", {
                        let mut q = p;
                        zmq_timers_destroy(&mut q).into()
                    }),
                ];
                for (name, r) in checks {
                    assert_eq!(r, -1, "{name}");
                }
                crate::set_errno(0);
                assert_eq!(zmq_timers_execute(p), -1);
                assert_eq!(errno(), libc::EFAULT);
            }
        }
        // SAFETY: a null handle pointer is refused.
        unsafe {
            crate::set_errno(0);
            assert_eq!(zmq_timers_destroy(std::ptr::null_mut()), -1);
            assert_eq!(errno(), libc::EFAULT);
        }
        // A null handler is EFAULT too.
        let mut timers = zmq_timers_new();
        // SAFETY: `timers` is live until destroyed.
        unsafe {
            crate::set_errno(0);
            assert_eq!(zmq_timers_add(timers, 1, None, std::ptr::null_mut()), -1);
            assert_eq!(errno(), libc::EFAULT);
            assert_eq!(zmq_timers_destroy(&mut timers), 0);
        }
    }
}
