//! Finds libliveupdate with the `pkg-config` command (no crate needed):
//! `pkg-config --libs liveupdate`, or `--static` with the feature `static`
//! or LIVEUPDATE_STATIC=1, turned into cargo's link directives.
//! LIVEUPDATE_LIB_DIR names a directory searched first: a build tree's
//! lib/.libs, to test against the library just built (with PKG_CONFIG_PATH
//! at that tree's pkgconfig/ for the flags).
use std::env;
use std::process::{exit, Command};

fn fail(msg: &str) -> ! {
    eprintln!("liveupdate-sys: {}", msg);
    exit(1);
}

fn main() {
    for var in ["LIVEUPDATE_LIB_DIR", "LIVEUPDATE_STATIC", "PKG_CONFIG", "PKG_CONFIG_PATH", "PKG_CONFIG_LIBDIR"] {
        println!("cargo:rerun-if-env-changed={}", var);
    }
    let static_link = env::var_os("CARGO_FEATURE_STATIC").is_some()
        || env::var("LIVEUPDATE_STATIC").map_or(false, |v| v == "1");
    if let Some(dir) = env::var_os("LIVEUPDATE_LIB_DIR") {
        let dir = dir
            .into_string()
            .unwrap_or_else(|_| fail("LIVEUPDATE_LIB_DIR is not UTF-8"));
        println!("cargo:rustc-link-search=native={}", dir);
    }
    let pkg_config = env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_string());
    let mut cmd = Command::new(&pkg_config);
    cmd.arg("--libs");
    if static_link {
        cmd.arg("--static");
    }
    cmd.arg("liveupdate");
    let out = cmd.output().unwrap_or_else(|e| {
        fail(&format!(
            "cannot run {}: {} (install pkg-config, or set PKG_CONFIG)",
            pkg_config, e
        ))
    });
    if !out.status.success() {
        fail(&format!(
            "{:?} failed: {}install libliveupdate, or point PKG_CONFIG_PATH at the \
             directory of its liveupdate.pc (a build tree's pkgconfig/ works)",
            cmd,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let libs = String::from_utf8(out.stdout)
        .unwrap_or_else(|_| fail("pkg-config printed something that is not UTF-8"));
    // Statically, the private dependencies too (a dynamic one among them
    // would make the linker fall back to dynamic linking), found by the
    // linker in its own search path when the program is linked, not
    // bundled into the rlib (rustc does not search the system's).
    let kind = if static_link { "static:-bundle" } else { "dylib" };
    let mut linked = Vec::new();
    for flag in libs.split_whitespace() {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={}", dir);
        } else if let Some(lib) = flag.strip_prefix("-l").or(if flag == "-pthread" {
            Some("pthread")
        } else {
            None
        }) {
            // Once each: rustc refuses a library named twice with modifiers.
            if !linked.contains(&lib) {
                println!("cargo:rustc-link-lib={}={}", kind, lib);
                linked.push(lib);
            }
        } else {
            fail(&format!(
                "pkg-config gave the flag {:?}, which cargo cannot pass on from a \
                 library's build script",
                flag
            ));
        }
    }
}
