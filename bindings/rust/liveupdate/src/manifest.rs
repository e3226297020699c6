//! The session manifest: labels, tokens and metadata of preserved files,
//! as written at preserve time and read back after the update.
use std::ffi::{CStr, CString};
use std::mem;
use std::os::unix::io::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::ptr;

use liveupdate_sys as sys;

use crate::error::{c_string, check, created, opt_c_string, opt_text, ptr_or_null, text, Error, Result, ENOENT};
use crate::memory::{Memory, MemoryBacking};
use crate::session::Session;

/// What a manifest entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A memfd.
    Memfd,
    /// A memory object (guest RAM), with a backing and a page size.
    Memory,
    /// Any other file, or a kind written by a later library version.
    Other,
}

/// How to record a file in the manifest: [`Session::preserve`](crate::Session::preserve)
/// and [`Memory::preserve_with`](crate::Memory::preserve_with).
#[derive(Clone, Debug, Default)]
pub struct Preserve {
    label: Option<String>,
    token: Option<u64>,
    meta: Vec<(String, String)>,
}

impl Preserve {
    /// No label, a token chosen by the library, no metadata.
    pub fn new() -> Preserve {
        Preserve::default()
    }

    /// The file's label, unique in the session (1 to 127 bytes).
    pub fn label(mut self, label: &str) -> Preserve {
        self.label = Some(label.to_string());
        self
    }

    /// This token instead of one chosen by the library.
    pub fn token(mut self, token: u64) -> Preserve {
        self.token = Some(token);
        self
    }

    /// A metadata pair (distinct keys, at most 32 pairs).
    pub fn meta(mut self, key: &str, value: &str) -> Preserve {
        self.meta.push((key.to_string(), value.to_string()));
        self
    }

    pub(crate) fn to_raw(&self) -> Result<RawPreserve> {
        let label = opt_c_string("label", self.label.as_ref())?;
        let mut strings = Vec::with_capacity(self.meta.len());
        for (k, v) in &self.meta {
            strings.push((c_string("metadata key", k)?, c_string("metadata value", v)?));
        }
        // The CStrings' bytes stay where they are when `strings` moves.
        let meta = strings
            .iter()
            .map(|(k, v)| sys::liveupdate_meta {
                key: k.as_ptr(),
                value: v.as_ptr(),
            })
            .collect::<Vec<_>>();
        // SAFETY: an all-zero option struct means "defaults".
        let mut opts: sys::liveupdate_preserve_opts = unsafe { mem::zeroed() };
        opts.sz = mem::size_of_val(&opts);
        opts.label = ptr_or_null(&label);
        if let Some(token) = self.token {
            opts.flags = sys::LIVEUPDATE_PRESERVE_TOKEN;
            opts.token = token;
        }
        opts.meta = if meta.is_empty() { ptr::null() } else { meta.as_ptr() };
        opts.n_meta = meta.len();
        Ok(RawPreserve {
            opts,
            _label: label,
            _strings: strings,
            _meta: meta,
        })
    }
}

/// The C options and the memory their pointers point into.
pub(crate) struct RawPreserve {
    opts: sys::liveupdate_preserve_opts,
    _label: Option<CString>,
    _strings: Vec<(CString, CString)>,
    _meta: Vec<sys::liveupdate_meta>,
}

impl RawPreserve {
    pub(crate) fn opts(&self) -> &sys::liveupdate_preserve_opts {
        &self.opts
    }
}

/// One file of a session's manifest, borrowed from the session.
#[derive(Clone, Copy, Debug)]
pub struct Entry<'s> {
    raw: &'s sys::liveupdate_entry,
}

impl<'s> Entry<'s> {
    pub(crate) fn from_raw(raw: *const sys::liveupdate_entry) -> Result<Entry<'s>> {
        let raw = created(raw as *mut sys::liveupdate_entry, "a manifest call")?;
        Ok(Entry {
            // SAFETY: the library keeps entries while the session lives,
            // which 's is bound to.
            raw: unsafe { &*raw.as_ptr() },
        })
    }

    /// Its label; empty for a file preserved without one.
    pub fn label(&self) -> &'s CStr {
        // SAFETY: never NULL ("" without label), lives with the session.
        unsafe { text(self.raw.label) }
    }

    /// Its token.
    pub fn token(&self) -> u64 {
        self.raw.token
    }

    /// What it is.
    pub fn kind(&self) -> EntryKind {
        match self.raw.kind {
            sys::LIVEUPDATE_ENTRY_MEMFD => EntryKind::Memfd,
            sys::LIVEUPDATE_ENTRY_MEMORY => EntryKind::Memory,
            _ => EntryKind::Other,
        }
    }

    /// For [`EntryKind::Memory`], the backing recorded; else `None`.
    pub fn backing(&self) -> Option<MemoryBacking> {
        match self.kind() {
            EntryKind::Memory => Some(MemoryBacking::from_raw(self.raw.backing)),
            _ => None,
        }
    }

    /// For [`EntryKind::Memory`], the page size recorded; else 0.
    pub fn page_size(&self) -> u64 {
        self.raw.page_size
    }

    /// The file's size in bytes when it was preserved.
    pub fn size(&self) -> u64 {
        self.raw.size
    }

    /// The value of a metadata key, if the entry has it.
    pub fn meta(&self, key: &str) -> Option<&'s CStr> {
        let key = CString::new(key).ok()?;
        // SAFETY: a live entry; the value lives with the session.
        unsafe { opt_text(sys::liveupdate_entry_get_meta(self.raw, key.as_ptr())) }
    }

    /// Every metadata pair of the entry.
    pub fn meta_pairs(&self) -> Vec<(&'s CStr, &'s CStr)> {
        if self.raw.meta.is_null() {
            return Vec::new();
        }
        // SAFETY: `meta` holds `n_meta` pairs living with the session.
        let pairs = unsafe { std::slice::from_raw_parts(self.raw.meta, self.raw.n_meta) };
        // SAFETY: keys and values are NUL-terminated, never NULL.
        pairs.iter().map(|m| unsafe { (text(m.key), text(m.value)) }).collect()
    }
}

/// The manifest's side of a session: labels, metadata and entries.
impl Session {
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

/// Memory preserved with a label.
impl Memory {
    /// Preserve the memory with the label, metadata and token of `opts`;
    /// returns the token used. Find it again with
    /// [`Session::retrieve_memory_label`].
    pub fn preserve_with(&self, session: &Session, opts: &Preserve) -> Result<u64> {
        let raw = opts.to_raw()?;
        let mut token = 0u64;
        // SAFETY: live objects; the options' strings live in `raw`.
        check(unsafe {
            sys::liveupdate_memory_preserve_opts(self.as_ptr(), session.as_ptr(), raw.opts(), &mut token)
        })?;
        Ok(token)
    }
}
