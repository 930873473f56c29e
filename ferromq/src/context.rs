//! The context (socket API layer): owner of the I/O threads that run every connection of its
//! sockets.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::sync::Notify;

use crate::engine::{Io, TaskCount};

use crate::{Error, Result, Socket, SocketType};

/// The container for sockets, like libzmq's `zmq_ctx_new`: it owns the I/O threads on which
/// connections are handshaken, read, written and reconnected. Cheap to clone; the I/O thread
/// stops when the last clone and the last socket are dropped, after sockets have lingered.
///
/// ```
/// let ctx = ferromq::Context::new();
/// let rep = ctx.socket(ferromq::SocketType::Rep).unwrap();
/// rep.bind("tcp://127.0.0.1:*").unwrap();
/// ```
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<ContextInner>,
}

pub(crate) struct ContextInner {
    threads: Vec<IoThread>,
    /// Which I/O thread gets the next socket.
    next: AtomicUsize,
    /// The `inproc://` names bound in this context.
    pub(crate) inproc: crate::transport::inproc::Registry<crate::core::SocketCore>,
    /// Every socket made here, for [`Context::shutdown`]; and whether it has happened.
    sockets: Mutex<(Vec<std::sync::Weak<crate::core::SocketCore>>, bool)>,
}

/// One I/O thread: an event loop that runs until the context ends and its connections have
/// finished lingering.
struct IoThread {
    io: Io,
    shutdown: Arc<Notify>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl IoThread {
    fn start(index: usize) -> std::io::Result<IoThread> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()?;
        let handle = runtime.handle().clone();
        let shutdown = Arc::new(Notify::new());
        let tasks = Arc::new(TaskCount {
            running: AtomicUsize::new(0),
            idle: Notify::new(),
        });
        let (stop, count) = (shutdown.clone(), tasks.clone());
        let thread = std::thread::Builder::new()
            .name(format!("ferromq-io-{index}"))
            .spawn(move || {
                runtime.block_on(async move {
                    stop.notified().await;
                    // Sockets are closed by now; wait for their lingering connections.
                    loop {
                        let idle = count.idle.notified();
                        if count.running.load(Ordering::SeqCst) == 0 {
                            break;
                        }
                        idle.await;
                    }
                });
            })?;
        Ok(IoThread {
            io: Io { handle, tasks },
            shutdown,
            thread: Mutex::new(Some(thread)),
        })
    }

    fn stop(&self) {
        self.shutdown.notify_one();
        let thread = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

impl ContextInner {
    /// The I/O thread for a new socket: each in turn.
    pub(crate) fn io(&self) -> Io {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.threads.len();
        self.threads[i].io.clone()
    }
}

impl Context {
    /// A context with one I/O thread, libzmq's default.
    ///
    /// # Panics
    /// If the operating system refuses to start a thread; [`with_io_threads`](Self::with_io_threads)
    /// returns that as an error instead.
    pub fn new() -> Context {
        Context::with_io_threads(1).expect("the operating system refused to start the I/O thread")
    }

    /// A context with `n` I/O threads (libzmq's `io_threads`); sockets are spread over them
    /// in turn. One is enough for most programs: a thread serves many connections, and on a
    /// small machine every extra thread competes with the application.
    ///
    /// ```
    /// let ctx = ferromq::Context::with_io_threads(2)?;
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidOption`] naming `io_threads` when `n` is 0 (ferromq has no transport that
    /// works without one yet); [`Error::Io`] when a thread cannot be started.
    pub fn with_io_threads(n: usize) -> Result<Context> {
        if n == 0 {
            return Err(Error::InvalidOption {
                option: "io_threads",
                reason: "at least one I/O thread is needed".into(),
            });
        }
        let threads = (0..n)
            .map(IoThread::start)
            .collect::<std::io::Result<Vec<_>>>()
            .map_err(|source| Error::Io {
                endpoint: "(context)".into(),
                source,
            })?;
        Ok(Context {
            inner: Arc::new(ContextInner {
                threads,
                next: AtomicUsize::new(0),
                inproc: Default::default(),
                sockets: Mutex::new((Vec::new(), false)),
            }),
        })
    }

    /// Creates a socket of the given type.
    ///
    /// # Errors
    /// [`Error::Closed`] once the context is [shut down](Self::shutdown).
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        let mut sockets = crate::pipe::lock(&self.inner.sockets);
        if sockets.1 {
            return Err(Error::Closed);
        }
        let socket = Socket::new(self.inner.clone(), socket_type)?;
        sockets.0.retain(|s| s.strong_count() > 0);
        sockets.0.push(socket.core_weak());
        Ok(socket)
    }

    /// Like `zmq_ctx_shutdown`: closes every socket of this context, so that calls blocked on
    /// them in other threads, and every later call but dropping them, fail with
    /// [`Error::Closed`] (libzmq's `ETERM`); new sockets cannot be made. Their unsent messages
    /// linger as at close. The sockets themselves are still to be dropped, by their threads.
    ///
    /// ```
    /// use ferromq::{Context, Error, SocketType};
    ///
    /// let ctx = Context::new();
    /// let pull = ctx.socket(SocketType::Pull)?;
    /// let waiting = std::thread::spawn(move || pull.recv().map(|_| ()));
    /// ctx.shutdown();
    /// assert!(matches!(waiting.join().unwrap(), Err(Error::Closed)));
    /// assert!(matches!(ctx.socket(SocketType::Push), Err(Error::Closed)));
    /// # Ok::<(), ferromq::Error>(())
    /// ```
    pub fn shutdown(&self) {
        let live: Vec<_> = {
            let mut sockets = crate::pipe::lock(&self.inner.sockets);
            sockets.1 = true;
            sockets.0.drain(..).filter_map(|s| s.upgrade()).collect()
        };
        for core in live {
            core.close();
        }
    }
}

impl Default for Context {
    fn default() -> Self {
        Context::new()
    }
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context").finish_non_exhaustive()
    }
}

impl Drop for ContextInner {
    fn drop(&mut self) {
        // Like zmq_ctx_term: every socket is closed (they hold this context), so wait for their
        // connections to finish lingering, then stop the I/O threads.
        for t in &self.threads {
            t.shutdown.notify_one();
        }
        for t in &self.threads {
            t.stop();
        }
    }
}
