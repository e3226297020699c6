//! ram-keeper: a stand-in for a VMM's guest RAM that survives a kernel live
//! update, written against the `liveupdate` crate.
//!
//!   ram-keeper prepare SESSION MIB   before the update: allocate MIB MiB of
//!       preservable memory, stamp every page, preserve it as "guest-ram"
//!       with its checksum, print "READY <session fd>", then hold the
//!       session until stdin closes (the update happens meanwhile)
//!   ram-keeper resume SESSION        after it: find "guest-ram" again,
//!       check it byte for byte, finish the session
//!
//! The backend is the library's default: the kernel, or liveupdate-sim when
//! LIBLIVEUPDATE_BACKEND=sim (make check runs it so, and across a real
//! kexec in the real-kernel suite).
use std::io::{self, Read, Write};
use std::os::unix::io::AsRawFd;
use std::process::exit;

use liveupdate::{Context, MemoryOptions, Preserve};

const LABEL: &str = "guest-ram";
const PAGE: usize = 4096;
/// Written after preserving, into the last page: later writes are kept too.
const LATE: &[u8] = b"written after preserving";

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// Stamp page `n` with its number in every 8-byte word, so that a page
/// that moved or was lost is named by the check.
fn stamp(ram: &mut [u8]) {
    for (n, page) in ram.chunks_exact_mut(PAGE).enumerate() {
        let word = (n as u64).to_le_bytes();
        for w in page.chunks_exact_mut(8) {
            w.copy_from_slice(&word);
        }
    }
}

/// The first page whose stamp is wrong (the last page holds LATE first).
fn bad_page(ram: &[u8]) -> Option<usize> {
    let last = ram.len() / PAGE - 1;
    ram.chunks_exact(PAGE).enumerate().position(|(n, page)| {
        let word = (n as u64).to_le_bytes();
        let skip = if n == last { LATE.len() } else { 0 };
        page[skip..].chunks_exact(8).any(|w| w != &word[..w.len()])
    })
}

/// FNV-1a of the whole memory, the checksum kept in the manifest.
fn fnv1a(ram: &[u8]) -> u64 {
    ram.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

fn prepare(session_name: &str, mib: &str) -> Result<()> {
    let mib: u64 = mib.parse().map_err(|_| format!("MIB {:?} is not a number of MiB", mib))?;
    let ctx = Context::new()?;
    let session = ctx.create_session(session_name)?;
    let mut ram = ctx.new_memory(&MemoryOptions::new(mib << 20).name(LABEL).populate(0))?;
    let bytes = ram.map()?;
    stamp(bytes);
    let len = bytes.len();
    bytes[len - PAGE..len - PAGE + LATE.len()].copy_from_slice(LATE);
    let sum = fnv1a(bytes);
    bytes[len - PAGE..len - PAGE + LATE.len()].copy_from_slice(&[0; 24]);
    ram.preserve_with(&session, &Preserve::new().label(LABEL).meta("fnv1a", &format!("{:016x}", sum)))?;
    // The guest goes on writing after the preserve; the update keeps it.
    ram.map()?[len - PAGE..len - PAGE + LATE.len()].copy_from_slice(LATE);
    println!(
        "ram-keeper: preserved {} MiB ({:?}, {}-byte pages) as {:?} in session {:?}, fnv1a {:016x}",
        mib,
        ram.backing(),
        ram.page_size(),
        LABEL,
        session_name,
        sum
    );
    println!("READY {}", session.as_raw_fd());
    io::stdout().flush()?;
    // Hold the session (dropping it would abort the preservation) until
    // whoever runs the update says it is done.
    io::stdin().read_to_end(&mut Vec::new())?;
    Ok(())
}

fn resume(session_name: &str) -> Result<()> {
    let ctx = Context::new()?;
    let session = ctx.retrieve_session(session_name)?;
    let want = session
        .find_entry(LABEL)?
        .meta("fnv1a")
        .ok_or("the entry has no fnv1a checksum")?
        .to_str()?
        .to_string();
    let mut ram = session.retrieve_memory_label(LABEL)?;
    let (backing, mib) = (ram.backing(), ram.size() >> 20);
    let bytes = ram.map()?;
    if let Some(n) = bad_page(bytes) {
        return Err(format!("page {} lost its stamp across the update", n).into());
    }
    let sum = format!("{:016x}", fnv1a(bytes));
    if sum != want {
        return Err(format!("fnv1a {} after the update, {} before", sum, want).into());
    }
    session.finish()?;
    println!(
        "ram-keeper: {} MiB ({:?}) back in session {:?}, byte-exact (fnv1a {}), late write kept",
        mib, backing, session_name, sum
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let r = match args.iter().map(String::as_str).collect::<Vec<_>>()[1..] {
        ["prepare", session, mib] => prepare(session, mib),
        ["resume", session] => resume(session),
        _ => Err("usage: ram-keeper prepare SESSION MIB | ram-keeper resume SESSION".into()),
    };
    if let Err(e) = r {
        eprintln!("ram-keeper: {}", e);
        exit(1);
    }
}
