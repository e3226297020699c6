//! Sessions: named groups of preserved files, outgoing (this kernel to the
//! next) or incoming (handed over by the previous kernel).
use std::ffi::CStr;
use std::mem;
use std::os::unix::io::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr::{self, NonNull};

use liveupdate_sys as sys;

use crate::error::{c_string, check, created, text, Error, Result, ENOENT};
use crate::manifest::{Entry, Preserve};
use crate::memory::Memory;

/// Which way a session goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Created in this kernel, for the next one.
    Outgoing,
    /// Handed over by the previous kernel.
    Incoming,
}

/// Options for [`Context::create_session_with`](crate::Context::create_session_with).
#[derive(Clone, Copy, Debug, Default)]
pub struct SessionOptions {
    no_manifest: bool,
    handover: bool,
    manifest_size: usize,
}

impl SessionOptions {
    /// A session with a manifest (made once something is recorded; its
    /// first piece 4 KiB).
    pub fn new() -> SessionOptions {
        SessionOptions::default()
    }

    /// No manifest: files are found by token only.
    pub fn no_manifest(mut self) -> SessionOptions {
        self.no_manifest = true;
        self
    }

    /// Keep a duplicate of every fd preserved in the session (one open fd
    /// per file), so that it can be handed to a successor process with
    /// [`Session::handover`], and [`Session::retrieve_fd`] gives new fds of
    /// its files while it is outgoing.
    pub fn handover(mut self) -> SessionOptions {
        self.handover = true;
        self
    }

    /// The size in bytes of the manifest's first piece: a multiple of 4 KiB,
    /// up to 64 MiB (other sizes are refused by the create call, never
    /// rounded); further pieces are added as it fills.
    pub fn manifest_size(mut self, bytes: usize) -> SessionOptions {
        self.manifest_size = bytes;
        self
    }

    pub(crate) fn to_raw(self) -> sys::liveupdate_session_opts {
        // SAFETY: an all-zero option struct means "defaults".
        let mut o: sys::liveupdate_session_opts = unsafe { mem::zeroed() };
        o.sz = mem::size_of_val(&o);
        o.flags = 0;
        if self.no_manifest {
            o.flags |= sys::LIVEUPDATE_SESSION_NO_MANIFEST;
        }
        if self.handover {
            o.flags |= sys::LIVEUPDATE_SESSION_HANDOVER;
        }
        o.manifest_size = self.manifest_size;
        o
    }
}

/// A live update session (`struct liveupdate_session`), owning its
/// reference and, through it, the session fd.
///
/// The kernel's rule holds here as in C: the session lives as long as its
/// fd. Dropping the last reference to an **outgoing** session aborts it
/// (every file in it is unpreserved); keep it alive across the kexec.
/// Dropping an **incoming** one finishes it (files not retrieved are
/// dropped); [`finish`](Session::finish) does that explicitly and reports
/// errors. The fd is lent with [`AsFd`]; `try_clone_to_owned()` on it gives
/// a duplicate to hand to another process.
///
/// The C library allows one thread at a time per session: `Session` is
/// `Send` but not `Sync`, and not `Clone`:
///
/// ```compile_fail
/// fn shared_between_threads<T: Sync>() {}
/// shared_between_threads::<liveupdate::Session>();
/// ```
#[derive(Debug)]
pub struct Session {
    raw: NonNull<sys::liveupdate_session>,
}

// SAFETY: liveupdate.h: "a session object must be used by one thread at a
// time; distinct sessions may be used from distinct threads concurrently";
// its reference counts (the session's, its context's) are atomic.
unsafe impl Send for Session {}

impl Session {
    /// Takes over `raw`, the reference a successful call returned.
    pub(crate) fn from_raw(raw: *mut sys::liveupdate_session) -> Result<Session> {
        Ok(Session {
            raw: created(raw, "a session call")?,
        })
    }

    pub(crate) fn as_ptr(&self) -> *mut sys::liveupdate_session {
        self.raw.as_ptr()
    }

    /// The session's name, as the kernel holds it.
    pub fn name(&self) -> &CStr {
        // SAFETY: never NULL for a live session, valid while it lives.
        unsafe { text(sys::liveupdate_session_get_name(self.as_ptr())) }
    }

    /// Outgoing or incoming.
    pub fn direction(&self) -> Direction {
        // SAFETY: a live session.
        match unsafe { sys::liveupdate_session_get_direction(self.as_ptr()) } {
            sys::LIVEUPDATE_SESSION_INCOMING => Direction::Incoming,
            _ => Direction::Outgoing,
        }
    }

    /// Whether [`finish`](Session::finish) succeeded.
    pub fn is_finished(&self) -> bool {
        // SAFETY: a live session.
        unsafe { sys::liveupdate_session_is_finished(self.as_ptr()) == 1 }
    }

    /// End an incoming session's restoration: files retrieved so far are
    /// the process's; tokens never retrieved are dropped. The fd stays open
    /// until the session is dropped. An error (EBUSY: retry later) leaves
    /// the session as it was.
    pub fn finish(&self) -> Result<()> {
        // SAFETY: a live session.
        check(unsafe { sys::liveupdate_session_finish(self.as_ptr()) }).map(drop)
    }

    /// Preserve a file (a memfd) under `token`, unique in the session. From
    /// then on its size is frozen; the caller keeps `fd`.
    pub fn preserve_fd(&self, fd: BorrowedFd<'_>, token: u64) -> Result<()> {
        // SAFETY: a live session and an open fd.
        check(unsafe { sys::liveupdate_session_preserve_fd(self.as_ptr(), fd.as_raw_fd(), token) })
            .map(drop)
    }

    /// Preserve a file with a label, metadata and a token of its own, all
    /// recorded in the manifest; returns the token used.
    ///
    /// ```
    /// use liveupdate::{Backend, Context, ContextOptions, MemoryOptions, Preserve};
    /// use std::os::unix::io::AsFd;
    ///
    /// # let ctx = Context::with_options(&ContextOptions::new().backend(Backend::Simulator))?;
    /// let session = ctx.create_session(&format!("doc-preserve-{}", std::process::id()))?;
    /// let state = ctx.new_memory(&MemoryOptions::new(4096))?; // any memfd will do
    /// let token = session.preserve(state.as_fd(), &Preserve::new().label("state").meta("v", "1"))?;
    /// let entry = session.find_entry("state")?;
    /// assert_eq!(entry.token(), token);
    /// assert_eq!(entry.meta("v").unwrap().to_str(), Ok("1"));
    /// # Ok::<(), liveupdate::Error>(())
    /// ```
    pub fn preserve(&self, fd: BorrowedFd<'_>, opts: &Preserve) -> Result<u64> {
        let raw = opts.to_raw()?;
        let mut token = 0u64;
        // SAFETY: the options' strings live in `raw` until the call returns.
        check(unsafe {
            sys::liveupdate_session_preserve_fd_opts(self.as_ptr(), fd.as_raw_fd(), raw.opts(), &mut token)
        })?;
        Ok(token)
    }

    /// A new fd to a file of an incoming session, by token.
    pub fn retrieve_fd(&self, token: u64) -> Result<OwnedFd> {
        let mut fd: RawFd = -1;
        // SAFETY: a live session; on success `fd` is ours.
        check(unsafe { sys::liveupdate_session_retrieve_fd(self.as_ptr(), token, &mut fd) })?;
        // SAFETY: a new fd owned by the caller.
        Ok(unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// A new fd to a file of an incoming session, by manifest label, with
    /// its manifest entry.
    pub fn retrieve_fd_label(&self, label: &str) -> Result<(OwnedFd, Entry<'_>)> {
        let label = c_string("label", label)?;
        let mut fd: RawFd = -1;
        let mut entry = ptr::null();
        // SAFETY: a live session; on success `fd` is ours and `entry` lives
        // as long as the session.
        check(unsafe {
            sys::liveupdate_session_retrieve_fd_label(self.as_ptr(), label.as_ptr(), &mut fd, &mut entry)
        })?;
        // SAFETY: a new fd owned by the caller.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        Ok((fd, Entry::from_raw(entry)?))
    }

    /// Guest memory of an incoming session, by token, its backing detected.
    pub fn retrieve_memory(&self, token: u64) -> Result<Memory> {
        let mut raw = ptr::null_mut();
        // SAFETY: a live session.
        check(unsafe { sys::liveupdate_memory_retrieve(self.as_ptr(), token, &mut raw) })?;
        Memory::from_raw(raw)
    }

    /// Guest memory of an incoming session, by manifest label, with the
    /// backing and page size the manifest recorded.
    pub fn retrieve_memory_label(&self, label: &str) -> Result<Memory> {
        let label = c_string("label", label)?;
        let mut raw = ptr::null_mut();
        // SAFETY: a live session and a valid string.
        check(unsafe { sys::liveupdate_memory_retrieve_label(self.as_ptr(), label.as_ptr(), &mut raw) })?;
        Memory::from_raw(raw)
    }

    /// Set a metadata pair of an outgoing session's manifest.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<()> {
        let key = c_string("metadata key", key)?;
        let value = c_string("metadata value", value)?;
        // SAFETY: a live session and valid strings.
        check(unsafe { sys::liveupdate_session_set_meta(self.as_ptr(), key.as_ptr(), value.as_ptr()) })
            .map(drop)
    }

    /// A metadata value of the session (ENOENT: no such key; ENODATA: no
    /// manifest). On an incoming session, read the manifest before
    /// [`finish`](Session::finish).
    pub fn meta(&self, key: &str) -> Result<&CStr> {
        let key = c_string("metadata key", key)?;
        let mut value = ptr::null();
        // SAFETY: on success `value` lives as long as the session.
        check(unsafe { sys::liveupdate_session_get_meta(self.as_ptr(), key.as_ptr(), &mut value) })?;
        // SAFETY: set by the successful call.
        Ok(unsafe { text(value) })
    }

    /// Every metadata pair of the session, in the order keys were first set.
    pub fn meta_pairs(&self) -> Result<Vec<(&CStr, &CStr)>> {
        let mut pairs = Vec::new();
        loop {
            let (mut key, mut value) = (ptr::null(), ptr::null());
            // SAFETY: on success both live as long as the session.
            let r = unsafe {
                sys::liveupdate_session_get_meta_at(self.as_ptr(), pairs.len(), &mut key, &mut value)
            };
            if r == -(ENOENT) {
                return Ok(pairs);
            }
            check(r)?;
            // SAFETY: set by the successful call.
            pairs.push(unsafe { (text(key), text(value)) });
        }
    }

    /// The manifest's entries, in preserve order.
    pub fn entries(&self) -> Result<Vec<Entry<'_>>> {
        // SAFETY: a live session.
        let n = unsafe { sys::liveupdate_session_count_entries(self.as_ptr()) };
        if n < 0 {
            return Err(Error::from_ret(n));
        }
        let mut entries = Vec::with_capacity(n as usize);
        for i in 0..n as usize {
            let mut entry = ptr::null();
            // SAFETY: on success `entry` lives as long as the session.
            check(unsafe { sys::liveupdate_session_get_entry(self.as_ptr(), i, &mut entry) })?;
            entries.push(Entry::from_raw(entry)?);
        }
        Ok(entries)
    }

    /// The manifest entry with this label (ENOENT: none).
    pub fn find_entry(&self, label: &str) -> Result<Entry<'_>> {
        let label = c_string("label", label)?;
        let mut entry = ptr::null();
        // SAFETY: on success `entry` lives as long as the session.
        check(unsafe { sys::liveupdate_session_find_entry(self.as_ptr(), label.as_ptr(), &mut entry) })?;
        Entry::from_raw(entry)
    }

    /// Write the manifest as text (as `liveupdate-ctl manifest` prints it).
    pub fn print_manifest(&self, out: BorrowedFd<'_>) -> Result<()> {
        // SAFETY: a live session and an open fd.
        check(unsafe { sys::liveupdate_session_print_manifest(self.as_ptr(), out.as_raw_fd()) }).map(drop)
    }
}

impl AsFd for Session {
    fn as_fd(&self) -> BorrowedFd<'_> {
        // SAFETY: the session owns this open fd for as long as it lives.
        unsafe { BorrowedFd::borrow_raw(sys::liveupdate_session_get_fd(self.as_ptr())) }
    }
}

impl AsRawFd for Session {
    fn as_raw_fd(&self) -> RawFd {
        self.as_fd().as_raw_fd()
    }
}

impl Drop for Session {
    /// Closes the session: aborts an outgoing one, finishes an incoming one.
    fn drop(&mut self) {
        // SAFETY: this value's reference, dropped once.
        unsafe { sys::liveupdate_session_unref(self.as_ptr()) };
    }
}
