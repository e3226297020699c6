//! The library's failures: the errno it returned and the sentence it wrote
//! into the thread's liveupdate_last_error() at that moment.
use std::ffi::{CStr, CString};
use std::fmt;
use std::io;
use std::os::raw::{c_char, c_int};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

use liveupdate_sys as sys;

/// A failed call: the positive errno (as `errno(3)` names it) and what
/// libliveupdate said about it (which call, which object, what to do).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    errno: i32,
    detail: String,
}

/// `Result` with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// The error of a call that returned the negative errno `ret`, with the
    /// thread's last error text (read at once: the next call replaces it).
    pub(crate) fn from_ret(ret: i64) -> Error {
        // SAFETY: returns a thread-local NUL-terminated string.
        let detail = unsafe { text(sys::liveupdate_last_error()) };
        Error {
            errno: ret.unsigned_abs().min(i32::MAX as u64) as i32,
            detail: detail.to_string_lossy().into_owned(),
        }
    }

    /// An argument refused by these bindings before any call (EINVAL).
    pub(crate) fn invalid(detail: String) -> Error {
        Error {
            errno: EINVAL,
            detail,
        }
    }

    /// The errno, positive (ENOENT, EBUSY, ...).
    pub fn errno(&self) -> i32 {
        self.errno
    }

    /// What the library said when the call failed ("what: errno (NAME):
    /// advice"), or the bindings' own reason for an argument they refused.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The library's sentence for this errno (liveupdate_strerror()): what
    /// it means here and what to do.
    pub fn advice(&self) -> &'static str {
        // SAFETY: liveupdate_strerror() returns a static string, never NULL.
        let s = unsafe { CStr::from_ptr(sys::liveupdate_strerror(-self.errno)) };
        s.to_str().unwrap_or("")
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            f.write_str(self.advice())
        } else {
            f.write_str(&self.detail)
        }
    }
}

impl std::error::Error for Error {}

/// The `io::Error` has the errno's kind and this error as its source (its
/// `get_ref()` downcasts to [`Error`] for the errno and the detail).
impl From<Error> for io::Error {
    fn from(e: Error) -> io::Error {
        io::Error::new(io::Error::from_raw_os_error(e.errno).kind(), e)
    }
}

// Errnos these bindings use themselves: the same numbers on every Linux
// architecture (std has no errno constants; this crate depends on nothing).
pub(crate) const ENOENT: i32 = 2;
pub(crate) const EINVAL: i32 = 22;

/// `Ok(ret)` for a non-negative return, else the error.
pub(crate) fn check(ret: c_int) -> Result<c_int> {
    if ret < 0 {
        Err(Error::from_ret(ret.into()))
    } else {
        Ok(ret)
    }
}

/// A string argument for C, refused (not cut) when it holds a NUL byte.
pub(crate) fn c_string(what: &str, s: &str) -> Result<CString> {
    CString::new(s).map_err(|e| {
        Error::invalid(format!(
            "{} {:?} holds a NUL byte at offset {}: C strings cannot carry it",
            what,
            s,
            e.nul_position()
        ))
    })
}

/// A path argument for C, refused when it holds a NUL byte.
pub(crate) fn c_path(what: &str, p: &Path) -> Result<CString> {
    CString::new(p.as_os_str().as_bytes()).map_err(|e| {
        Error::invalid(format!(
            "{} {:?} holds a NUL byte at offset {}",
            what,
            p,
            e.nul_position()
        ))
    })
}

/// An optional string argument: `None` stays `None` (the C NULL).
pub(crate) fn opt_c_string(what: &str, s: Option<&String>) -> Result<Option<CString>> {
    s.map(|s| c_string(what, s)).transpose()
}

/// An optional path argument: `None` stays `None` (the C NULL).
pub(crate) fn opt_c_path<P: AsRef<Path>>(what: &str, p: Option<P>) -> Result<Option<CString>> {
    p.map(|p| c_path(what, p.as_ref())).transpose()
}

/// The pointer C gets for an optional string: NULL for `None`.
pub(crate) fn ptr_or_null(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(std::ptr::null(), |c| c.as_ptr())
}

/// A string the library returned, borrowed for `'a` (the caller ties it to
/// the object that owns it).
///
/// # Safety
/// `p` is a non-NULL NUL-terminated string valid for `'a`.
pub(crate) unsafe fn text<'a>(p: *const c_char) -> &'a CStr {
    CStr::from_ptr(p)
}

/// As [`text`], `None` for NULL.
///
/// # Safety
/// `p` is NULL or a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn opt_text<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        None
    } else {
        Some(CStr::from_ptr(p))
    }
}

/// The object a successful call stored through its out-parameter; a NULL
/// one (a library that broke its contract) becomes an error, not a panic.
pub(crate) fn created<T>(raw: *mut T, call: &str) -> Result<std::ptr::NonNull<T>> {
    std::ptr::NonNull::new(raw)
        .ok_or_else(|| Error::invalid(format!("{} succeeded but gave no object", call)))
}
