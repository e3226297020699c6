#!/bin/sh
# The Rust bindings under one toolchain, from make check (test-msrv.sh,
# test-stable.sh): build the workspace offline against the library just
# built, run its tests (the layout tests of liveupdate-sys, the safe API's
# tests and doctests) and the example ram-keeper across a simulated kexec,
# all on a private liveupdate-sim; warnings are errors.
#   cargo-test.sh msrv     Debian's rustc and cargo (/usr/bin), which must
#                          be the rust-version the crates state
#   cargo-test.sh stable   rustup's stable toolchain
# A missing toolchain is a skip (77), a failure under CI=true.
: "${top_srcdir:=.}" "${top_builddir:=.}"
toolchain=$1
skip() {
	echo "SKIP: $*"
	[ "${CI:-}" = true ] && { echo "FAIL: CI=true: a skipped test is a failure"; exit 1; }
	exit 77
}

msrv=$(sed -n 's/^rust-version = "\(.*\)"$/\1/p' "$top_srcdir/bindings/rust/liveupdate/Cargo.toml")
case $toolchain in
msrv)
	CARGO=/usr/bin/cargo RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc
	[ -x "$CARGO" ] && [ -x "$RUSTC" ] && [ -x "$RUSTDOC" ] ||
		skip "no Debian Rust toolchain in /usr/bin: apt-get install rustc cargo"
	have=$("$RUSTC" --version | cut -d' ' -f2)
	case $have in
	"$msrv" | "$msrv".*) ;;
	*) skip "the crates state rust-version $msrv; $RUSTC is $have (Debian 12's is $msrv)" ;;
	esac
	;;
stable)
	command -v rustup >/dev/null 2>&1 || PATH=$PATH:$HOME/.cargo/bin
	CARGO=$(rustup which --toolchain stable cargo 2>/dev/null) &&
		RUSTC=$(rustup which --toolchain stable rustc) &&
		RUSTDOC=$(rustup which --toolchain stable rustdoc) ||
		skip "no rustup stable toolchain (https://rustup.rs)"
	;;
*)
	echo "usage: cargo-test.sh msrv|stable" >&2
	exit 99
	;;
esac
echo "$toolchain: $("$RUSTC" --version), $("$CARGO" --version)"

# A private liveupdate-sim, LIBLIVEUPDATE_BACKEND=sim, fail and wait_for.
. "$top_srcdir/examples/test-lib.sh"
abs_builddir=$(cd "$top_builddir" && pwd)
# Everything cargo writes goes to the build tree: the source tree may be
# read-only (distcheck), and Cargo.lock is committed and used --locked.
CARGO_HOME=$abs_builddir/bindings/rust/cargo-home
CARGO_TARGET_DIR=$abs_builddir/bindings/rust/target-$toolchain
PKG_CONFIG_PATH=$abs_builddir/pkgconfig
LIVEUPDATE_LIB_DIR=$abs_builddir/lib/.libs
LD_LIBRARY_PATH=$LIVEUPDATE_LIB_DIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
RUSTFLAGS=-Dwarnings RUSTDOCFLAGS=-Dwarnings
export CARGO_HOME CARGO_TARGET_DIR PKG_CONFIG_PATH \
	LIVEUPDATE_LIB_DIR LD_LIBRARY_PATH RUSTC RUSTDOC RUSTFLAGS RUSTDOCFLAGS
manifest=$top_srcdir/bindings/rust/Cargo.toml

# One test thread: a simulated kexec ends every session of the daemon.
"$CARGO" test --offline --locked --manifest-path "$manifest" --workspace \
	-- --test-threads=1 || fail "cargo test ($toolchain)"
"$CARGO" build --offline --locked --manifest-path "$manifest" -p ram-keeper ||
	fail "cargo build -p ram-keeper ($toolchain)"

# The example across a simulated kexec: prepare holds its session until
# its stdin closes; liveupdate-sim reboot is the update.
keeper=$CARGO_TARGET_DIR/debug/ram-keeper
session=ram-keeper-$$
mkfifo "$sim_dir/hold" || fail "mkfifo"
"$keeper" prepare "$session" 64 <"$sim_dir/hold" >"$sim_dir/prepare.out" 2>&1 &
keeper_pid=$!
exec 3>"$sim_dir/hold"
wait_for "$sim_dir/prepare.out" '^READY ' "$keeper_pid"
cat "$sim_dir/prepare.out"
"$SIM" reboot || fail "liveupdate-sim reboot"
exec 3>&-
wait "$keeper_pid" || fail "ram-keeper prepare exited $?"
"$keeper" resume "$session" || fail "ram-keeper resume"
"$keeper" resume "$session" 2>&1 | grep -q 'liveupdate_session_retrieve.*(ENOENT)' ||
	fail "the session is still there after resume finished it"
echo "PASS: the Rust crates and the example with $toolchain"
