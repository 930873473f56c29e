//! The options table: every row read back through the generic and the typed accessors, with
//! libzmq's numbers, defaults and errors.

mod common;

use std::collections::HashSet;

use common::*;
use ferromq::options::{Access, Effect, OptionKind};
use ferromq::{Context, Error, OptionValue, SocketOption as O, SocketType as T};

/// A socket type that takes `option`.
fn taker(option: O) -> T {
    match option.spec().types {
        Some(types) => types[0],
        None => T::Dealer,
    }
}

#[test]
fn rows_have_libzmqs_numbers_and_find_each_other() {
    let mut numbers = HashSet::new();
    for option in O::all() {
        let spec = option.spec();
        assert_eq!(spec.option, option);
        assert!(numbers.insert(spec.number), "{} twice", spec.number);
        assert_eq!(O::from_number(spec.number), Some(option));
        assert_eq!(O::from_name(spec.name), Some(option));
        assert_eq!(O::from_name(spec.zmq_name), Some(option));
        assert_eq!(
            spec.zmq_name,
            format!("ZMQ_{}", spec.zmq_name[4..].to_uppercase())
        );
        assert_eq!(spec.default.kind(), spec.kind, "{}", spec.name);
    }
    // A few numbers from zmq.h, so that a shifted row cannot pass.
    for (number, name) in [
        (23, "ZMQ_SNDHWM"),
        (24, "ZMQ_RCVHWM"),
        (17, "ZMQ_LINGER"),
        (5, "ZMQ_ROUTING_ID"),
        (6, "ZMQ_SUBSCRIBE"),
        (33, "ZMQ_ROUTER_MANDATORY"),
        (69, "ZMQ_XPUB_NODROP"),
        (76, "ZMQ_HEARTBEAT_TTL"),
        (16, "ZMQ_TYPE"),
        (32, "ZMQ_LAST_ENDPOINT"),
    ] {
        assert_eq!(O::from_number(number).unwrap().spec().zmq_name, name);
    }
    assert_eq!(O::from_number(9999), None);
    assert_eq!(O::from_name("zmq_sndhwm"), Some(O::Sndhwm));
}

#[test]
fn a_new_socket_reads_every_default() {
    let ctx = Context::new();
    for option in O::all() {
        let spec = option.spec();
        let s = ctx.socket(taker(option)).unwrap(); // as it comes, not as `ferro` tunes it
        match option {
            O::Subscribe | O::Unsubscribe => assert!(matches!(
                s.get_option(option),
                Err(Error::InvalidOption { option: name, .. }) if name == spec.name
            )),
            O::Type => assert_eq!(
                s.get_option(option).unwrap(),
                OptionValue::Int(s.socket_type().number())
            ),
            O::Events => {
                let events = s.get_option(option).unwrap().as_i64().unwrap();
                assert_eq!(events, i64::from(s.events().unwrap().bits()));
            }
            O::Fd => {
                let fd = s.get_option(option).unwrap().as_i64().unwrap();
                assert_eq!(fd, i64::from(s.fd().unwrap()));
                assert!(fd >= 0);
            }
            _ => assert_eq!(s.get_option(option).unwrap(), spec.default, "{}", spec.name),
        }
    }
}

/// A value in range for `option`, other than its default.
fn other_value(option: O) -> Option<OptionValue> {
    let spec = option.spec();
    if matches!(
        option,
        O::CurvePublickey | O::CurveSecretkey | O::CurveServerkey
    ) {
        return Some(OptionValue::Bytes(vec![7; 32].into()));
    }
    Some(match spec.kind {
        OptionKind::Bool => OptionValue::Bool(true),
        OptionKind::Int => {
            OptionValue::Int(spec.range.map_or(7, |(min, _)| min.max(0) as i32 + 300))
        }
        OptionKind::Int64 => OptionValue::Int64(12_345),
        OptionKind::UInt64 => OptionValue::UInt64(3),
        OptionKind::Bytes => OptionValue::Bytes("abc".into()),
        _ => return None,
    })
}

#[test]
fn every_settable_row_keeps_what_it_is_given() {
    let ctx = Context::new();
    for option in O::all() {
        let spec = option.spec();
        let s = ferro(&ctx, taker(option));
        if !spec.access.settable() {
            let e = s.set_option(option, 1).unwrap_err().to_string();
            assert!(e.contains(spec.name) && e.contains("read-only"), "{e}");
            continue;
        }
        if matches!(option, O::Subscribe | O::Unsubscribe) {
            s.set_option(option, "topic").unwrap();
            continue;
        }
        let mut value = other_value(option).unwrap();
        if option == O::Tos || option == O::TcpKeepalive {
            value = OptionValue::Int(1);
        }
        s.set_option(option, value.clone()).unwrap();
        let expected = match (option, &value) {
            (O::HeartbeatTtl, OptionValue::Int(v)) => OptionValue::Int(v / 100 * 100),
            _ => value,
        };
        assert_eq!(s.get_option(option).unwrap(), expected, "{}", spec.name);
    }
}

#[test]
fn typed_and_generic_accessors_share_the_rows() {
    let ctx = Context::new();
    let router = ferro(&ctx, T::Router);
    router.set_option(O::RouterMandatory, 1).unwrap(); // an int 0/1 is a boolean
    assert!(router.router_mandatory());
    router.set_router_mandatory(false).unwrap();
    assert_eq!(
        router.get_option(O::RouterMandatory).unwrap(),
        OptionValue::Bool(false)
    );
    router.set_option(O::Sndhwm, 12).unwrap();
    assert_eq!(router.sndhwm(), 12);
    router.set_rcvtimeo(5).unwrap();
    assert_eq!(router.get_option(O::Rcvtimeo).unwrap(), OptionValue::Int(5));
    router.set_option(O::RoutingId, "name").unwrap(); // a string is bytes
    assert_eq!(&router.routing_id()[..], b"name");

    let xpub = ferro(&ctx, T::Xpub);
    xpub.set_xpub_verbose(true).unwrap();
    assert!(xpub.xpub_verbose(), "xpub_verbose reads back");
    assert_eq!(
        O::XpubVerbose.spec().access,
        Access::WriteOnly,
        "as in libzmq"
    );
    assert_eq!(O::Rate.spec().effect, Effect::Ignored);

    let ep = ferro_bind(&router);
    assert_eq!(
        router.get_option(O::LastEndpoint).unwrap(),
        OptionValue::String(ep)
    );
}

#[test]
fn refusals_name_the_option_and_the_fault() {
    let ctx = Context::new();
    let s = ferro(&ctx, T::Dealer);
    let fault = |option: O, value: OptionValue| match s.set_option(option, value) {
        Err(Error::InvalidOption {
            option: name,
            reason,
        }) => {
            assert_eq!(name, option.spec().name);
            reason
        }
        other => panic!("{option}: expected InvalidOption, got {other:?}"),
    };
    assert!(fault(O::Sndhwm, OptionValue::Int(-1)).contains("below the minimum of 0"));
    assert!(fault(O::Tos, OptionValue::Int(256)).contains("outside 0 to 255"));
    assert!(fault(O::Ipv6, OptionValue::Int(2)).contains("boolean"));
    assert!(fault(O::Sndhwm, OptionValue::from("many")).contains("integer"));
    assert!(fault(O::Linger, OptionValue::Int64(1 << 40)).contains("32-bit"));
    assert!(fault(O::RoutingId, OptionValue::Bytes(vec![1; 256].into())).contains("256 bytes"));
    assert!(fault(O::RoutingId, OptionValue::Bytes(vec![0, 1].into())).contains("zero byte"));
    assert!(fault(O::RouterMandatory, OptionValue::Bool(true)).contains("only ROUTER"));
    assert!(fault(O::Type, OptionValue::Int(1)).contains("read-only"));
    // Refused values change nothing.
    assert_eq!(s.sndhwm(), 1000);
    assert!(s.routing_id().is_empty());
}

#[test]
fn numbers_and_defaults_are_libzmqs() {
    use zmq_sys as z;
    for (number, option) in [
        (z::ZMQ_AFFINITY, O::Affinity),
        (z::ZMQ_ROUTING_ID, O::RoutingId),
        (z::ZMQ_SUBSCRIBE, O::Subscribe),
        (z::ZMQ_UNSUBSCRIBE, O::Unsubscribe),
        (z::ZMQ_RATE, O::Rate),
        (z::ZMQ_RECOVERY_IVL, O::RecoveryIvl),
        (z::ZMQ_SNDBUF, O::Sndbuf),
        (z::ZMQ_RCVBUF, O::Rcvbuf),
        (z::ZMQ_RCVMORE, O::Rcvmore),
        (z::ZMQ_EVENTS, O::Events),
        (z::ZMQ_TYPE, O::Type),
        (z::ZMQ_LINGER, O::Linger),
        (z::ZMQ_RECONNECT_IVL, O::ReconnectIvl),
        (z::ZMQ_BACKLOG, O::Backlog),
        (z::ZMQ_RECONNECT_IVL_MAX, O::ReconnectIvlMax),
        (z::ZMQ_MAXMSGSIZE, O::Maxmsgsize),
        (z::ZMQ_SNDHWM, O::Sndhwm),
        (z::ZMQ_RCVHWM, O::Rcvhwm),
        (z::ZMQ_MULTICAST_HOPS, O::MulticastHops),
        (z::ZMQ_RCVTIMEO, O::Rcvtimeo),
        (z::ZMQ_SNDTIMEO, O::Sndtimeo),
        (z::ZMQ_LAST_ENDPOINT, O::LastEndpoint),
        (z::ZMQ_ROUTER_MANDATORY, O::RouterMandatory),
        (z::ZMQ_TCP_KEEPALIVE, O::TcpKeepalive),
        (z::ZMQ_TCP_KEEPALIVE_CNT, O::TcpKeepaliveCnt),
        (z::ZMQ_TCP_KEEPALIVE_IDLE, O::TcpKeepaliveIdle),
        (z::ZMQ_TCP_KEEPALIVE_INTVL, O::TcpKeepaliveIntvl),
        (z::ZMQ_IMMEDIATE, O::Immediate),
        (z::ZMQ_XPUB_VERBOSE, O::XpubVerbose),
        (z::ZMQ_IPV6, O::Ipv6),
        (z::ZMQ_REQ_CORRELATE, O::ReqCorrelate),
        (z::ZMQ_REQ_RELAXED, O::ReqRelaxed),
        (z::ZMQ_CONFLATE, O::Conflate),
        (z::ZMQ_ROUTER_HANDOVER, O::RouterHandover),
        (z::ZMQ_TOS, O::Tos),
        (z::ZMQ_HANDSHAKE_IVL, O::HandshakeIvl),
        (z::ZMQ_XPUB_NODROP, O::XpubNodrop),
        (z::ZMQ_HEARTBEAT_IVL, O::HeartbeatIvl),
        (z::ZMQ_HEARTBEAT_TTL, O::HeartbeatTtl),
        (z::ZMQ_HEARTBEAT_TIMEOUT, O::HeartbeatTimeout),
        (z::ZMQ_MULTICAST_MAXTPDU, O::MulticastMaxtpdu),
    ] {
        assert_eq!(option.spec().number as u32, number, "{option}");
    }

    // Every default libzmq reads back, on both libraries' DEALERs.
    let zctx = zmq::Context::new();
    let theirs = zctx.socket(zmq::DEALER).unwrap();
    let ctx = Context::new();
    let ours = ctx.socket(T::Dealer).unwrap();
    let int = |option: O| ours.get_option(option).unwrap().as_i64().unwrap();
    let pairs: [(O, i64); 20] = [
        (O::Maxmsgsize, theirs.get_maxmsgsize().unwrap()),
        (O::Sndhwm, theirs.get_sndhwm().unwrap().into()),
        (O::Rcvhwm, theirs.get_rcvhwm().unwrap().into()),
        (O::Affinity, theirs.get_affinity().unwrap() as i64),
        (O::Rate, theirs.get_rate().unwrap().into()),
        (O::RecoveryIvl, theirs.get_recovery_ivl().unwrap().into()),
        (O::Sndbuf, theirs.get_sndbuf().unwrap().into()),
        (O::Rcvbuf, theirs.get_rcvbuf().unwrap().into()),
        (O::Tos, theirs.get_tos().unwrap().into()),
        (O::Linger, theirs.get_linger().unwrap().into()),
        (O::ReconnectIvl, theirs.get_reconnect_ivl().unwrap().into()),
        (
            O::ReconnectIvlMax,
            theirs.get_reconnect_ivl_max().unwrap().into(),
        ),
        (O::Backlog, theirs.get_backlog().unwrap().into()),
        (
            O::MulticastHops,
            theirs.get_multicast_hops().unwrap().into(),
        ),
        (O::Rcvtimeo, theirs.get_rcvtimeo().unwrap().into()),
        (O::Sndtimeo, theirs.get_sndtimeo().unwrap().into()),
        (O::TcpKeepalive, theirs.get_tcp_keepalive().unwrap().into()),
        (O::HandshakeIvl, theirs.get_handshake_ivl().unwrap().into()),
        (O::HeartbeatIvl, theirs.get_heartbeat_ivl().unwrap().into()),
        (
            O::HeartbeatTimeout,
            theirs.get_heartbeat_timeout().unwrap().into(),
        ),
    ];
    for (option, value) in pairs {
        assert_eq!(int(option), value, "{option}");
    }
    for (option, value) in [
        (O::TcpKeepaliveCnt, theirs.get_tcp_keepalive_cnt().unwrap()),
        (
            O::TcpKeepaliveIdle,
            theirs.get_tcp_keepalive_idle().unwrap(),
        ),
        (
            O::TcpKeepaliveIntvl,
            theirs.get_tcp_keepalive_intvl().unwrap(),
        ),
        (O::HeartbeatTtl, theirs.get_heartbeat_ttl().unwrap()),
    ] {
        assert_eq!(int(option), value.into(), "{option}");
    }
    assert_eq!(int(O::Ipv6), i64::from(theirs.is_ipv6().unwrap()));
    assert_eq!(int(O::Immediate), i64::from(theirs.is_immediate().unwrap()));
    assert_eq!(int(O::Type), theirs.get_socket_type().unwrap() as i64);
}
