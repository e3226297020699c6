#!/bin/sh
# Build the example ram-keeper as one static x86-64 program (glibc's
# crt-static, libliveupdate.a and its private dependencies from
# `pkg-config --static`), for the real-kernel suite's initramfs.
#   build-static.sh SRCDIR BUILDDIR OUTPUT
# Uses Debian's cargo and rustc when present (the stated rust-version),
# else rustup's stable. Exit 2 when there is no Rust toolchain at all.
set -eu
srcdir=$(cd "$1" && pwd) builddir=$(cd "$2" && pwd) output=$3
if [ -x /usr/bin/cargo ] && [ -x /usr/bin/rustc ]; then
	CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc
elif command -v rustup >/dev/null 2>&1 || [ -x "$HOME/.cargo/bin/rustup" ]; then
	rustup=$(command -v rustup || echo "$HOME/.cargo/bin/rustup")
	CARGO=$("$rustup" which --toolchain stable cargo)
	RUSTC=$("$rustup" which --toolchain stable rustc)
else
	echo "build-static.sh: no Rust toolchain: apt-get install rustc cargo" >&2
	exit 2
fi
[ -r "$builddir/lib/.libs/libliveupdate.a" ] || {
	echo "build-static.sh: no $builddir/lib/.libs/libliveupdate.a: configure with static libraries" >&2
	exit 1
}
target=x86_64-unknown-linux-gnu
CARGO_HOME=$builddir/bindings/rust/cargo-home
CARGO_TARGET_DIR=$builddir/bindings/rust/target-static
PKG_CONFIG_PATH=$builddir/pkgconfig
LIVEUPDATE_LIB_DIR=$builddir/lib/.libs
LIVEUPDATE_STATIC=1
# With --target, the flags reach only the program, not build.rs. Not a
# static PIE: libtool's static archive holds objects built without -fPIC.
RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static -C strip=debuginfo"
export RUSTC CARGO_HOME CARGO_TARGET_DIR PKG_CONFIG_PATH LIVEUPDATE_LIB_DIR \
	LIVEUPDATE_STATIC RUSTFLAGS
echo "build-static.sh: $("$RUSTC" --version), $("$CARGO" --version)"
"$CARGO" build --offline --locked --release --target "$target" \
	--manifest-path "$srcdir/bindings/rust/Cargo.toml" -p ram-keeper
cp "$CARGO_TARGET_DIR/$target/release/ram-keeper" "$output"
# A static program has no interpreter: make sure before the guest finds out.
if readelf -l "$output" | grep -q 'Requesting program interpreter'; then
	echo "build-static.sh: $output is not static" >&2
	exit 1
fi
