//! Where connections run (engine layer): an I/O thread's runtime, and the count of its tasks
//! that lets the context wait for lingering connections.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::runtime::Handle;
use tokio::sync::Notify;

/// What the socket internals need of the context: a place to spawn connection tasks, and a
/// count of those tasks so that shutdown waits for lingering ones. It never holds the context
/// itself, so a task cannot keep the context (and its I/O thread) alive.
#[derive(Clone)]
pub(crate) struct Io {
    pub(crate) handle: Handle,
    pub(crate) tasks: Arc<TaskCount>,
}

pub(crate) struct TaskCount {
    pub(crate) running: AtomicUsize,
    pub(crate) idle: Notify,
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
