#!/usr/bin/env bash
# Builds ferromq's libzmq.so in release and installs it under PREFIX the way libzmq 4.3.5
# installs itself, so that C programs, pkg-config and bindings find it in place of libzmq:
#
#   PREFIX/include/zmq.h
#   PREFIX/lib/libzmq.so.5.2.5, with libzmq.so.5 and libzmq.so pointing at it
#   PREFIX/lib/pkgconfig/libzmq.pc
#
# Usage: ferromq-capi/install.sh PREFIX
# The build goes to CARGO_TARGET_DIR when it is set, else to the workspace's target/.
set -euo pipefail

if [[ $# -ne 1 || -z "$1" ]]; then
    echo "usage: $0 PREFIX" >&2
    exit 2
fi

crate_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The prefix as an absolute path: the .pc file and the rpath users give need one.
mkdir -p "$1"
prefix="$(cd "$1" && pwd)"

# libzmq 4.3.5's file names (libtool's 7:5:2 gives .so.5.2.5) and its pkg-config version.
so_real="libzmq.so.5.2.5"
so_name="libzmq.so.5"
zmq_version="4.3.5"

# No cd: a relative CARGO_TARGET_DIR stays relative to where the script was run from.
manifest="$crate_dir/Cargo.toml"
cargo build --release --manifest-path "$manifest" -p ferromq-capi --lib

# Cargo says where the target dir is (CARGO_TARGET_DIR, a config file, or the workspace's).
target_dir="$(cargo metadata --format-version 1 --no-deps --manifest-path "$manifest" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
built="$target_dir/release/libzmq.so"
if [[ ! -f "$built" ]]; then
    echo "$0: the build left no $built" >&2
    exit 1
fi

include_dir="$prefix/include"
lib_dir="$prefix/lib"
pc_dir="$lib_dir/pkgconfig"
mkdir -p "$include_dir" "$lib_dir" "$pc_dir"

install -m 0644 "$crate_dir/include/zmq.h" "$include_dir/zmq.h"
# Replaced, not overwritten in place, so that programs running on the old copy keep it.
install -m 0755 "$built" "$lib_dir/$so_real.tmp"
mv -f "$lib_dir/$so_real.tmp" "$lib_dir/$so_real"
ln -sfn "$so_real" "$lib_dir/$so_name"
ln -sfn "$so_name" "$lib_dir/libzmq.so"

cat > "$pc_dir/libzmq.pc" <<EOF
prefix=$prefix
exec_prefix=\${prefix}
libdir=\${exec_prefix}/lib
includedir=\${prefix}/include

Name: libzmq
Description: ZeroMQ's C library, libzmq's API provided by ferromq (ZeroMQ in pure Rust)
Version: $zmq_version
Libs: -L\${libdir} -lzmq
Cflags: -I\${includedir}
EOF
chmod 0644 "$pc_dir/libzmq.pc"

echo "installed ferromq's libzmq $zmq_version under $prefix:"
echo "  $include_dir/zmq.h"
echo "  $lib_dir/$so_real"
echo "  $lib_dir/$so_name -> $so_real"
echo "  $lib_dir/libzmq.so -> $so_name"
echo "  $pc_dir/libzmq.pc"
