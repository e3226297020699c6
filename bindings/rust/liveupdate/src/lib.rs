//! Keep file descriptors, above all a VM's guest RAM, across a Linux kernel
//! live update: a safe API over libliveupdate, the C library over the Live
//! Update Orchestrator (/dev/liveupdate, Linux 6.19 and later).
//!
//! Before the update a VMM creates an outgoing [`Session`], allocates guest
//! RAM as [`Memory`] and preserves it under a label; the host kexecs into
//! the next kernel with the session's fd still open. After it, the VMM
//! retrieves the session by name, finds the memory by label and finishes
//! the session:
//!
//! ```
//! use liveupdate::{Backend, Context, ContextOptions, KexecOptions, MemoryOptions, Preserve};
//!
//! # let ctx = Context::with_options(&ContextOptions::new().backend(Backend::Simulator).quiet())?;
//! # let name = format!("doc-vm-{}", std::process::id());
//! // before the update
//! let session = ctx.create_session(&name)?;
//! let mut ram = ctx.new_memory(&MemoryOptions::new(4 << 20).name("guest-ram"))?;
//! ram.map()?[..5].copy_from_slice(b"hello");
//! ram.preserve_with(&session, &Preserve::new().label("ram").meta("slot", "0"))?;
//! # let kernel = "/boot/vmlinuz-next";
//! # let kernel = std::env::temp_dir().join(format!("doc-kernel-{}", std::process::id()));
//! # std::fs::write(&kernel, b"any file is a kernel to the simulator").unwrap();
//! ctx.kexec_load(&kernel, &KexecOptions::new())?;
//! # std::fs::remove_file(&kernel).unwrap();
//! ctx.kexec_reboot()?; // returns only on the simulator
//! # drop((ram, session));
//!
//! // after the update (a new process in the new kernel)
//! let session = ctx.retrieve_session(&name)?;
//! let mut ram = session.retrieve_memory_label("ram")?;
//! assert_eq!(&ram.map()?[..5], b"hello");
//! session.finish()?;
//! # Ok::<(), liveupdate::Error>(())
//! ```
//!
//! Ownership follows the C contract (see doc/rust.md): every object owns
//! one reference and drops it; an outgoing session dropped before the
//! kexec is aborted, an incoming one dropped is finished; fds given to the
//! library are [`OwnedFd`](std::os::unix::io::OwnedFd)s it takes, fds it
//! lends are [`BorrowedFd`](std::os::unix::io::BorrowedFd)s. Failures are
//! [`Error`]s with the errno and the library's advice, never panics.
//!
//! A VMM that restarts itself on the same kernel hands its live session to
//! the new process with [`Session::handover`] and
//! [`Context::receive_session`] (sessions created with
//! [`SessionOptions::handover`]), manifest included.
//!
//! Not wrapped yet: network devices (liveupdate_netdevs_*), systemd's fd
//! store (liveupdate_fdstore_*), the host memory queries and
//! liveupdate_memory_move_to_thp(); use `liveupdate-sys` for those.
#![warn(missing_docs)]

mod context;
mod error;
mod handover;
mod manifest;
mod memory;
mod session;
mod state;
// mod handover: the handover API, once the C library has it (doc/rust.md).

pub use context::{Backend, Context, ContextOptions, KexecOptions};
pub use error::{Error, Result};
pub use manifest::{Entry, EntryKind, Preserve};
pub use memory::{Memory, MemoryBacking, MemoryOptions};
pub use session::{Direction, Session, SessionOptions};
pub use state::{Avail, BackingSupport, Boot, Fact, State};

/// The token of a session's manifest memfd: preserving a file of your own
/// under it fails with EINVAL.
pub const MANIFEST_TOKEN: u64 = liveupdate_sys::LIVEUPDATE_MANIFEST_TOKEN;

/// The library's version at run time ("1.0.0").
pub fn version() -> &'static str {
    // SAFETY: a static string.
    let v = unsafe { std::ffi::CStr::from_ptr(liveupdate_sys::liveupdate_version()) };
    v.to_str().unwrap_or("")
}
