//! 200 concurrent connections to one ROUTER, 100 round trips each; afterwards the process has
//! exactly the file descriptors it had before. Its own test binary: it counts the whole
//! process's descriptors.

mod common;

use std::collections::HashMap;

use common::*;
use ferromq::{Context, SocketType as T};

fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

#[test]
fn two_hundred_dealers_one_router() {
    const CLIENTS: usize = 200;
    const TRIPS: usize = 100;
    let before = open_fds();
    {
        let ctx = Context::new();
        let router = ferro(&ctx, T::Router);
        let ep = ferro_bind(&router);
        let dealers: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let d = ferro(&ctx, T::Dealer);
                d.set_routing_id(format!("client-{i}")).unwrap();
                d.connect(&ep).unwrap();
                d
            })
            .collect();
        // Every client sends all its requests at once; the ROUTER answers each one.
        for (i, d) in dealers.iter().enumerate() {
            for n in 0..TRIPS {
                d.send(format!("{i}:{n}")).unwrap();
            }
        }
        let mut per_client: HashMap<Vec<u8>, usize> = HashMap::new();
        for _ in 0..CLIENTS * TRIPS {
            let m = router.recv().unwrap();
            *per_client.entry(m[0].to_vec()).or_default() += 1;
            router.send([m[0].clone(), m[1].clone()]).unwrap();
        }
        assert_eq!(per_client.len(), CLIENTS);
        assert!(per_client.values().all(|&n| n == TRIPS));
        for (i, d) in dealers.iter().enumerate() {
            for n in 0..TRIPS {
                assert_eq!(d.recv().unwrap()[0], format!("{i}:{n}").as_bytes());
            }
        }
        assert!(
            open_fds() >= before + 2 * CLIENTS,
            "the connections were open"
        );
    }
    // Sockets and context dropped (linger 0): every descriptor is closed again.
    assert_eq!(open_fds(), before);
}
