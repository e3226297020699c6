#!/bin/sh
# The Rust bindings with the oldest Rust they state (Debian 12's 1.63).
exec "$SHELL" "${top_srcdir:-.}/bindings/rust/cargo-test.sh" msrv
