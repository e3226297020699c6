//! The session manifest: labels, tokens and metadata of preserved files,
//! as written at preserve time and read back after the update.
use std::ffi::{CStr, CString};
use std::mem;
use std::ptr;

use liveupdate_sys as sys;

use crate::error::{c_string, created, opt_c_string, opt_text, ptr_or_null, text, Result};
use crate::memory::MemoryBacking;

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
