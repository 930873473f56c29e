//! Every example runs to its end, as a user runs it, and its summary says what it showed.
//! (The food truck has its own tests in `foodtruck.rs`.)

mod common;

use common::run_example;

fn summary(out: &str) -> &str {
    out.lines().last().unwrap_or("")
}

/// The number right after `before` in `text`.
fn number_after(text: &str, before: &str) -> f64 {
    let rest = &text[text
        .find(before)
        .unwrap_or_else(|| panic!("{before:?} in {text}"))
        + before.len()..];
    let digits: String = rest
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number after {before:?} in {text}"))
}

#[test]
fn hello() {
    let out = run_example("hello", &[]);
    assert!(
        summary(&out).starts_with("summary: 10 round trips over tcp"),
        "{out}"
    );
    assert_eq!(out.matches("got \"World\"").count(), 10, "{out}");
}

#[test]
fn weather() {
    let out = run_example("weather", &[]);
    let s = summary(&out);
    assert!(s.contains("for zip 10001 over 50 updates"), "{out}");
    // Every update for our zip code passed the filter, and others existed.
    assert!(number_after(s, "publisher sent ") > 50.0, "{out}");
}

#[test]
fn taskvent() {
    let out = run_example("taskvent", &[]);
    // Four workers sleep in parallel: well over twice as fast even on a busy machine.
    let speedup = number_after(summary(&out), "finished the batch ");
    assert!(speedup > 2.0, "{out}");
}

#[test]
fn broker() {
    let out = run_example("broker", &[]);
    let s = summary(&out);
    assert!(
        s.starts_with("summary: 30 requests from 3 clients served by 2 workers"),
        "{out}"
    );
    assert!(
        out.contains("broker counters: 30 requests in, 30 replies out"),
        "{out}"
    );
}

#[test]
fn pair_signal() {
    let out = run_example("pair_signal", &[]);
    assert!(
        summary(&out).starts_with("summary: step 1, step 2, step 3 signalled in order"),
        "{out}"
    );
}

#[test]
fn multi_pub() {
    let out = run_example("multi_pub", &[]);
    let s = summary(&out);
    assert!(s.contains("from 3 publishers through one proxy"), "{out}");
    assert!(number_after(s, "heard ") >= 30.0, "{out}");
}

#[test]
fn async_dealer() {
    let out = run_example("async_dealer", &[]);
    assert!(
        summary(&out).starts_with("summary: 100 requests from 5 async DEALER clients answered"),
        "{out}"
    );
}
