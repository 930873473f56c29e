//! The context: owner of the I/O thread that runs every connection of its sockets.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use tokio::runtime::Handle;
use tokio::sync::Notify;

use crate::{Result, Socket, SocketType};

/// The container for sockets, like libzmq's `zmq_ctx_new`: it owns the I/O thread on which
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
    pub(crate) io: Io,
    shutdown: Arc<Notify>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

/// What the socket internals need of the context: a place to spawn connection tasks, and a
/// count of those tasks so that shutdown waits for lingering ones. It never holds the context
/// itself, so a task cannot keep the context (and its I/O thread) alive.
#[derive(Clone)]
pub(crate) struct Io {
    pub(crate) handle: Handle,
    tasks: Arc<TaskCount>,
}

struct TaskCount {
    running: AtomicUsize,
    idle: Notify,
}

impl Io {
    /// Spawns a task on the I/O thread, counted until it ends.
    pub(crate) fn spawn<F>(&self, task: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.tasks.running.fetch_add(1, Ordering::SeqCst);
        let guard = TaskGuard(self.tasks.clone());
        self.handle.spawn(async move {
            let _guard = guard;
            task.await;
        });
    }
}

struct TaskGuard(Arc<TaskCount>);

impl Drop for TaskGuard {
    fn drop(&mut self) {
        if self.0.running.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.0.idle.notify_waiters();
        }
    }
}

impl Context {
    /// A context with one I/O thread, libzmq's default.
    pub fn new() -> Context {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .expect("the operating system refused to create an event loop");
        let handle = runtime.handle().clone();
        let shutdown = Arc::new(Notify::new());
        let tasks = Arc::new(TaskCount {
            running: AtomicUsize::new(0),
            idle: Notify::new(),
        });
        let (stop, count) = (shutdown.clone(), tasks.clone());
        let thread = std::thread::Builder::new()
            .name("ferromq-io".into())
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
            })
            .expect("the operating system refused to start the I/O thread");
        Context {
            inner: Arc::new(ContextInner {
                io: Io { handle, tasks },
                shutdown,
                thread: Mutex::new(Some(thread)),
            }),
        }
    }

    /// Creates a socket of the given type.
    pub fn socket(&self, socket_type: SocketType) -> Result<Socket> {
        Socket::new(self.inner.clone(), socket_type)
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
        // connections to finish lingering, then stop the I/O thread.
        self.shutdown.notify_one();
        let thread = self.thread.lock().map(|mut t| t.take()).unwrap_or(None);
        if let Some(thread) = thread {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}
