//! The library's layers hold: every `crate::` path in `ferromq/src` points down (or within its
//! own layer), and the layers form no circle. The layers and what each may use are the table
//! in `lib.rs`'s docs; this test is that table, enforced.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each layer, with the first path segments (modules under `src/`) that make it up.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "socket API",
        &["core", "context", "socket", "poll", "proxy", "auth"],
    ),
    ("pattern", &["pattern"]),
    ("routing", &["routing"]),
    ("transport", &["transport"]),
    ("engine", &["engine"]),
    ("pipe", &["pipe"]),
    (
        "leaf",
        &[
            "error", "message", "endpoint", "options", "monitor", "keys", "zap",
        ],
    ),
];

/// What each layer may use besides itself.
const MAY_USE: &[(&str, &[&str])] = &[
    (
        "socket API",
        &["pattern", "routing", "transport", "engine", "pipe", "leaf"],
    ),
    ("pattern", &["routing", "pipe", "leaf"]),
    ("routing", &["pipe", "leaf"]),
    ("transport", &["engine", "pipe", "leaf"]),
    ("engine", &["pipe", "leaf"]),
    ("pipe", &["leaf"]),
    ("leaf", &[]),
];

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// Every `.rs` file under `dir`.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The module's first path segment under `src/` (`pipe` for `src/pipe/wire.rs`); `None` for
/// `lib.rs`, the crate root.
fn top_module(file: &Path) -> Option<String> {
    let rel = file.strip_prefix(src()).unwrap();
    let first = rel.components().next()?.as_os_str().to_str()?.to_owned();
    match first.strip_suffix(".rs") {
        Some("lib") => None,
        Some(name) => Some(name.to_owned()),
        None => Some(first),
    }
}

fn layer_of(module: &str) -> &'static str {
    LAYERS
        .iter()
        .find(|(_, modules)| modules.contains(&module))
        .map(|(layer, _)| *layer)
        .unwrap_or_else(|| panic!("module {module} is in no layer: add it to LAYERS"))
}

/// The code of a file without its comments (doc links name modules without using them).
fn code(text: &str) -> String {
    text.lines()
        .map(|line| match line.find("//") {
            Some(i) if !line[..i].contains('"') => &line[..i],
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The names `lib.rs` re-exports at the crate root, with the module each comes from
/// (`Message` → `message`); names from other crates are left out.
fn root_names(lib: &str) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for line in code(lib).lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = rest.split_once("::") else {
            continue;
        };
        if !LAYERS.iter().any(|(_, m)| m.contains(&module)) {
            continue; // bytes::Bytes, ferromq_zmtp::SocketType
        }
        let items = items
            .trim_end_matches(';')
            .trim_matches(|c| c == '{' || c == '}');
        for item in items.split(',') {
            let name = item.trim();
            if !name.is_empty() {
                names.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    names
}

/// The first segments of every `crate::` path in `text`, `crate::{a, b::c}` included.
fn crate_paths(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("crate::") {
        let before = rest[..i].chars().last();
        rest = &rest[i + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$') {
            continue; // `$crate::`, `ferromq_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                found.push(first_ident(item.trim()));
            }
        } else {
            found.push(first_ident(rest));
        }
    }
    found.retain(|s| !s.is_empty());
    found
}

fn first_ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

#[test]
fn every_import_points_down_the_layers() {
    let mut all = Vec::new();
    files(&src(), &mut all);
    all.sort();
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let roots = root_names(&lib);
    let mut wrong = Vec::new();
    // Which layer uses which, for the circle check.
    let mut edges: BTreeSet<(&str, &str)> = BTreeSet::new();
    for file in &all {
        let Some(module) = top_module(file) else {
            continue; // lib.rs declares and re-exports everything
        };
        let from = layer_of(&module);
        let text = code(&std::fs::read_to_string(file).unwrap());
        for first in crate_paths(&text) {
            let target = if first.chars().next().is_some_and(char::is_uppercase) {
                match roots.get(&first) {
                    Some(m) => m.clone(),
                    None => continue, // Bytes, SocketType: other crates
                }
            } else {
                first.clone() // a module, or a function named as its module (`crate::poll`)
            };
            let to = layer_of(&target);
            if to == from {
                continue;
            }
            edges.insert((from, to));
            let allowed = MAY_USE.iter().find(|(l, _)| *l == from).unwrap().1;
            if !allowed.contains(&to) {
                let rel = file.strip_prefix(src()).unwrap().display().to_string();
                wrong.push(format!("{rel} ({from}) uses crate::{first} ({to})"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
    // No circle between layers: repeatedly remove layers nothing left uses.
    let mut left: BTreeSet<&str> = LAYERS.iter().map(|(l, _)| *l).collect();
    while let Some(&sink) = left.iter().find(|l| {
        !edges
            .iter()
            .any(|(from, to)| from == *l && left.contains(to))
    }) {
        left.remove(sink);
    }
    assert!(
        left.is_empty(),
        "layers that use each other in a circle: {left:?}"
    );
}

#[test]
fn the_checker_sees_what_it_must() {
    // The parser itself, on the forms the library uses.
    let paths =
        crate_paths("use crate::pipe::{Out, PeerId};\nuse crate::{Error, Message};\n$crate::x;");
    assert_eq!(paths, ["pipe", "Error", "Message"]);
    assert_eq!(code("let a = 1; // crate::hidden\n"), "let a = 1; ");
    let roots = root_names("pub use message::{Message, Sendable};\npub use bytes::Bytes;\n");
    assert_eq!(roots.get("Sendable").map(String::as_str), Some("message"));
    assert!(!roots.contains_key("Bytes"));
    assert_eq!(layer_of("routing"), "routing");
}
