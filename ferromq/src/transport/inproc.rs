//! inproc (transport layer): sockets of one [`Context`](crate::Context) joined by a pair of
//! [`InprocPipe`]s, found by name in the context's registry.
//!
//! ```text
//!   socket A ── send ─► InprocPipe (A→B) ─► recv ── socket B
//!            ◄─ recv ── InprocPipe (B→A) ◄─ send ──
//! ```
//!
//! No encoding, no I/O thread, no copy of an owned message (see [`crate::pipe::inproc`]).
//! Like libzmq, a connect may come before the bind: the connecting side gets its pipes at
//! once (messages queue up to its `sndhwm`), and the bind joins them to the binding socket.
//! The high-water mark of a joined pipe is the sender's `sndhwm` plus the receiver's `rcvhwm`
//! (unlimited if either is 0), as in libzmq. There is no reconnection: when either side closes
//! or disconnects, both pipes close; messages already in a pipe can still be read.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use bytes::Bytes;

use crate::engine::{Owner, Slot};
use crate::options::Options;
use crate::pipe::{lock, InprocPipe, PeerId, PipeEnd, Pipes};
use crate::{Error, Result};

/// `core` as the writer of a pipe.
fn end<O: Owner>(core: &Arc<O>) -> Option<Weak<dyn PipeEnd>> {
    let weak: Weak<dyn PipeEnd> = Arc::downgrade(core) as Weak<O>;
    Some(weak)
}

/// libzmq's inproc high-water mark: the sender's plus the receiver's, unlimited if either is.
fn joined_hwm(sndhwm: i32, rcvhwm: i32) -> usize {
    if sndhwm <= 0 || rcvhwm <= 0 {
        0
    } else {
        Options::hwm(sndhwm) + Options::hwm(rcvhwm)
    }
}

/// A connect that came before its bind.
struct Pending<O> {
    connector: Weak<O>,
    identity: Bytes,
    options: Options,
    /// Seen from the connector.
    pipes: Pipes,
    connector_id: PeerId,
}

/// The context's inproc names, bound by sockets of type `O`.
pub(crate) struct Registry<O> {
    names: Mutex<HashMap<String, Name<O>>>,
}

impl<O> Default for Registry<O> {
    fn default() -> Self {
        Registry {
            names: Mutex::new(HashMap::new()),
        }
    }
}

enum Name<O> {
    Bound(Weak<O>),
    Pending(Vec<Pending<O>>),
}

fn live<O: Owner>(core: &Weak<O>) -> Option<Arc<O>> {
    core.upgrade().filter(|c| !c.is_closed())
}

impl<O: Owner> Registry<O> {
    /// Binds `name` for `core`, joining the connections made to it before.
    pub fn bind(&self, core: &Arc<O>, endpoint: &str, name: &str) -> Result<()> {
        let mut names = lock(&self.names);
        let pending = match names.get_mut(name) {
            Some(Name::Bound(owner)) if live(owner).is_some() => {
                return Err(Error::AddrInUse {
                    endpoint: endpoint.to_owned(),
                })
            }
            Some(Name::Pending(list)) => std::mem::take(list),
            _ => Vec::new(),
        };
        names.insert(name.to_owned(), Name::Bound(Arc::downgrade(core)));
        drop(names);
        let opts = core.options();
        for p in pending {
            let Some(connector) = live(&p.connector) else {
                continue;
            };
            if p.pipes.out.is_closed() {
                continue; // disconnected before the bind
            }
            join(
                &connector,
                p.connector_id,
                &p.options,
                &p.identity,
                core,
                &opts,
                p.pipes,
            );
        }
        Ok(())
    }

    /// Whether a live socket has bound `name`.
    pub fn is_bound(&self, name: &str) -> bool {
        matches!(lock(&self.names).get(name), Some(Name::Bound(owner)) if live(owner).is_some())
    }

    /// Removes `core`'s binding of `name`; connections made through it stay, as in libzmq.
    pub fn unbind(&self, core: &Arc<O>, name: &str) -> bool {
        let mut names = lock(&self.names);
        match names.get(name) {
            Some(Name::Bound(owner)) if Weak::ptr_eq(owner, &Arc::downgrade(core)) => {
                names.remove(name);
                true
            }
            _ => false,
        }
    }

    /// Connects `core` to `name`, now if it is bound, else when it will be. Returns the peer
    /// id of the connection on `core`'s side, or `None` when `core` refused it (a PAIR that
    /// already has its peer).
    pub fn connect(&self, core: &Arc<O>, name: &str) -> Option<PeerId> {
        let opts = core.options();
        let mut names = lock(&self.names);
        let binder = match names.get(name) {
            Some(Name::Bound(owner)) => live(owner),
            _ => None,
        };
        let me = Arc::downgrade(core);
        match binder {
            Some(binder) => {
                drop(names);
                let bopts = binder.options();
                let pipes = Pipes {
                    out: InprocPipe::new(
                        end(core),
                        joined_hwm(opts.sndhwm, bopts.rcvhwm),
                        opts.conflate || bopts.conflate,
                    ),
                    inp: InprocPipe::new(
                        end(&binder),
                        joined_hwm(bopts.sndhwm, opts.rcvhwm),
                        opts.conflate || bopts.conflate,
                    ),
                };
                let id = core.attach_inproc(&bopts.routing_id, &pipes)?;
                join(core, id, &opts, &opts.routing_id, &binder, &bopts, pipes);
                Some(id)
            }
            None => {
                // Messages queue up to our sndhwm until the bind.
                let pipes = Pipes {
                    out: InprocPipe::new(end(core), Options::hwm(opts.sndhwm), opts.conflate),
                    inp: InprocPipe::new(None, 0, opts.conflate),
                };
                let id = core.attach_inproc(&Bytes::new(), &pipes)?;
                let pending = Pending {
                    connector: me,
                    identity: opts.routing_id.clone(),
                    options: opts,
                    pipes,
                    connector_id: id,
                };
                match names.get_mut(name) {
                    Some(Name::Pending(list)) => list.push(pending),
                    _ => {
                        names.insert(name.to_owned(), Name::Pending(vec![pending]));
                    }
                }
                Some(id)
            }
        }
    }
}

/// Joins a connector's pipes (already attached on its side as `connector_id`) to the binder.
fn join<O: Owner>(
    connector: &Arc<O>,
    connector_id: PeerId,
    copts: &Options,
    connector_identity: &Bytes,
    binder: &Arc<O>,
    bopts: &Options,
    pipes: Pipes,
) {
    let conflate = copts.conflate || bopts.conflate;
    pipes
        .out
        .join(joined_hwm(copts.sndhwm, bopts.rcvhwm), conflate, None);
    pipes.inp.join(
        joined_hwm(bopts.sndhwm, copts.rcvhwm),
        conflate,
        end(binder),
    );
    let binder_side = Pipes {
        out: pipes.inp,
        inp: pipes.out,
    };
    if binder
        .attach_inproc(connector_identity, &binder_side)
        .is_none()
    {
        // Refused (a PAIR with a peer already): the connector's side goes too.
        connector.detach(Slot::Fresh, connector_id, true);
    }
    connector.writable();
}
