//! A network of hosts for the fault tests: each host is a network namespace with an address of
//! its own on one bridge, so that traffic crosses real interfaces (veth pairs), not loopback.
//! The faults come from the kernel: a host's port on the bridge taken down is a silent
//! partition (no FIN, no RST), nftables' random drop loses packets, and a relay thread adds
//! delay.
//!
//! A thread moved into a namespace (`setns`) stays there, and threads it starts inherit it: a
//! [`Context`](ferromq::Context) made on a host's thread has its I/O thread, and so every
//! connection it makes or accepts, on that host. `bind` opens its socket on the calling
//! thread, so it too must run on the host: [`Lab::on`] runs a closure there.
#![allow(dead_code)]

use std::fs::File;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rustix::thread::{move_into_link_name_space, LinkNameSpaceType};

/// Set by CI: a machine without namespaces fails the tests instead of skipping them.
const REQUIRE: &str = "FERROMQ_REQUIRE_NETNS";

/// The subnet every lab's hosts share (each lab has its own bridge, so labs do not meet).
const SUBNET: &str = "10.77.0";

/// One scenario at a time: each measures timings and the process's memory, which a second
/// scenario running beside it on two cores would disturb.
pub fn one_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Hosts on one bridge, removed when dropped.
pub struct Lab {
    switch: String,
    hosts: Vec<String>,
}

/// Runs `ip` with `args`; its error output if it fails.
fn ip(args: &[&str]) -> Result<(), String> {
    let out = Command::new("ip")
        .args(args)
        .output()
        .map_err(|e| format!("ip: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "ip {}: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// Reports that a facility is missing: a skip, or under [`REQUIRE`] a failure.
fn missing(what: &str) {
    if std::env::var_os(REQUIRE).is_some() {
        panic!("{REQUIRE} is set but {what}");
    }
    eprintln!("skipping: {what} (network namespaces need root and iproute2)");
}

impl Lab {
    /// `n` hosts, host `i` at [`Lab::addr`]`(i)`; `None` (saying why) where namespaces
    /// cannot be made.
    pub fn new(n: usize) -> Option<Lab> {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let id = format!(
            "fmq{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut lab = Lab {
            switch: format!("{id}-sw"),
            hosts: Vec::new(),
        };
        if let Err(e) = ip(&["netns", "add", &lab.switch]) {
            missing(&format!("a network namespace cannot be made here ({e})"));
            return None;
        }
        let built = (|| {
            ip(&["-n", &lab.switch, "link", "add", "br0", "type", "bridge"])?;
            ip(&["-n", &lab.switch, "link", "set", "br0", "up"])?;
            for i in 0..n {
                let host = format!("{id}-h{i}");
                ip(&["netns", "add", &host])?;
                lab.hosts.push(host.clone());
                let port = format!("h{i}");
                ip(&[
                    "link",
                    "add",
                    "eth0",
                    "netns",
                    &host,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    &port,
                    "netns",
                    &lab.switch,
                ])?;
                ip(&["-n", &lab.switch, "link", "set", &port, "master", "br0"])?;
                ip(&["-n", &lab.switch, "link", "set", &port, "up"])?;
                let addr = format!("{}/24", lab.addr(i));
                ip(&["-n", &host, "addr", "add", &addr, "dev", "eth0"])?;
                ip(&["-n", &host, "link", "set", "eth0", "up"])?;
                ip(&["-n", &host, "link", "set", "lo", "up"])?;
            }
            Ok::<(), String>(())
        })();
        if let Err(e) = built {
            missing(&format!("the hosts' network cannot be built ({e})"));
            return None;
        }
        Some(lab)
    }

    /// Host `i`'s address.
    pub fn addr(&self, i: usize) -> String {
        format!("{SUBNET}.{}", i + 1)
    }

    /// `tcp://` endpoint on host `i`.
    pub fn tcp(&self, i: usize, port: u16) -> String {
        format!("tcp://{}:{port}", self.addr(i))
    }

    /// Runs `f` on a thread on host `i` and returns what it returns.
    pub fn on<T: Send>(&self, i: usize, f: impl FnOnce() -> T + Send) -> T {
        let ns = self.namespace(i);
        std::thread::scope(|s| {
            s.spawn(move || {
                enter(ns);
                f()
            })
            .join()
            .expect("a host's thread panicked")
        })
    }

    /// Starts `f` on a thread on host `i`.
    pub fn spawn<T: Send + 'static>(
        &self,
        i: usize,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> std::thread::JoinHandle<T> {
        let ns = self.namespace(i);
        std::thread::spawn(move || {
            enter(ns);
            f()
        })
    }

    fn namespace(&self, i: usize) -> File {
        let path = format!("/run/netns/{}", self.hosts[i]);
        File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// Takes host `i`'s port on the bridge down: its packets, and those sent to it, vanish
    /// without a FIN or a RST, as when a cable is pulled or a switch dies.
    pub fn cut(&self, i: usize) {
        ip(&["-n", &self.switch, "link", "set", &format!("h{i}"), "down"]).unwrap();
    }

    /// Brings host `i`'s port back up, and returns once both ends of its link are up again
    /// (the kernel applies a carrier change up to a second later; until then the host's
    /// packets are dropped): how long that took. It also empties every host's ARP cache: an
    /// address whose resolution failed during the partition would otherwise be tried again
    /// only after ARP's `retrans_time` (1 s), and the figures are to be ferromq's, not ARP's.
    pub fn heal(&self, i: usize) -> Duration {
        let port = format!("h{i}");
        ip(&["-n", &self.switch, "link", "set", &port, "up"]).unwrap();
        let start = Instant::now();
        let up = |ns: &str, dev: &str| {
            Command::new("ip")
                .args(["-n", ns, "-o", "link", "show", dev])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains("state UP"))
        };
        while !(up(&self.switch, &port) && up(&self.hosts[i], "eth0")) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "host {i}'s link is not up 10 s after it was brought up"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        for host in &self.hosts {
            ip(&["-n", host, "neigh", "flush", "all"]).unwrap();
        }
        start.elapsed()
    }

    /// Makes host `i` drop `percent` % of the TCP packets it receives, at random (nftables'
    /// `numgen random`). `false`, saying why, where `nft` is not installed.
    pub fn lose(&self, i: usize, percent: u32) -> bool {
        let host = &self.hosts[i];
        let below = format!("{percent}");
        let rules: [&[&str]; 3] = [
            &["add", "table", "inet", "fmq"],
            &[
                "add",
                "chain",
                "inet",
                "fmq",
                "loss",
                "{ type filter hook input priority 0; }",
            ],
            &[
                "add", "rule", "inet", "fmq", "loss", "meta", "l4proto", "tcp", "numgen", "random",
                "mod", "100", "<", &below, "counter", "drop",
            ],
        ];
        for rule in rules {
            let out = Command::new("ip")
                .args(["netns", "exec", host, "nft"])
                .args(rule)
                .output();
            match out {
                Ok(o) if o.status.success() => {}
                Ok(o) => {
                    missing(&format!(
                        "nft (Debian's nftables) refused `nft {}`: {}",
                        rule.join(" "),
                        String::from_utf8_lossy(&o.stderr).trim()
                    ));
                    return false;
                }
                Err(e) => {
                    missing(&format!("`ip netns exec` cannot run nft: {e}"));
                    return false;
                }
            }
        }
        true
    }
}

impl Lab {
    /// Packets host `i`'s loss rule has dropped so far (0 without one).
    pub fn dropped(&self, i: usize) -> u64 {
        let Ok(out) = Command::new("ip")
            .args([
                "netns",
                "exec",
                &self.hosts[i],
                "nft",
                "list",
                "chain",
                "inet",
                "fmq",
                "loss",
            ])
            .output()
        else {
            return 0;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .skip_while(|w| *w != "packets")
            .nth(1)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        // Deleting a namespace deletes its end of each veth pair, and so the pair.
        for ns in self.hosts.iter().chain([&self.switch]) {
            let _ = ip(&["netns", "del", ns]);
        }
    }
}

/// Moves the calling thread into the network namespace `ns`.
fn enter(ns: File) {
    move_into_link_name_space(ns.as_fd(), Some(LinkNameSpaceType::Network))
        .expect("setns into a host's network namespace");
}

/// A TCP relay, to run on a host of its own: accepts on `listen` and forwards each
/// connection to `target`, every byte `delay` late in each direction. Returns at once; the
/// relay's threads live as long as the process (or until the lab is gone).
pub fn delaying_relay(listen: &str, target: &str, delay: Duration) {
    let listener = TcpListener::bind(listen.trim_start_matches("tcp://")).unwrap();
    let target = target.trim_start_matches("tcp://").to_owned();
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let Ok(server) = TcpStream::connect(&target) else {
                continue;
            };
            let _ = client.set_nodelay(true);
            let _ = server.set_nodelay(true);
            delayed_pipe(
                client.try_clone().unwrap(),
                server.try_clone().unwrap(),
                delay,
            );
            delayed_pipe(server, client, delay);
        }
    });
}

/// Copies bytes one way, each chunk `delay` after it was read, until either side closes.
/// Reading goes on while chunks wait (up to a bound, then the sender is held back by TCP).
fn delayed_pipe(mut from: TcpStream, mut to: TcpStream, delay: Duration) {
    let (tx, rx) = mpsc::sync_channel::<(Instant, Vec<u8>)>(1024);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 64 * 1024];
        while let Ok(n @ 1..) = from.read(&mut buf) {
            if tx
                .send((Instant::now() + delay, buf[..n].to_vec()))
                .is_err()
            {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for (due, chunk) in rx {
            // The sleep is the fault being injected, not a wait for an outcome.
            std::thread::sleep(due.saturating_duration_since(Instant::now()));
            if to.write_all(&chunk).is_err() {
                break;
            }
        }
        let _ = to.shutdown(Shutdown::Both);
    });
}

/// The process's resident memory, in bytes (from `/proc/self/statm`).
pub fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    let pages: u64 = statm.split_whitespace().nth(1).unwrap().parse().unwrap();
    pages * 4096
}
