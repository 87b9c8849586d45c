//! [`OpenOptions`]: [`std::fs::OpenOptions`] with an async `open`.
//!
//! The options are std's own, kept by value; only [`open`](OpenOptions::open) differs: it
//! clones them into a pool job, opens the file there and wraps it in a [`File`].

use std::io;
use std::path::Path;

use super::{asyncify, File};

/// Options for opening a file (read, write, append, create, ...); the async counterpart of
/// [`std::fs::OpenOptions`], also reached through [`File::options`].
///
/// ```
/// use blitz_io::fs::OpenOptions;
/// use blitz_io::io::AsyncWriteExt;
///
/// # blitz_io::run(async {
/// let path = std::env::temp_dir().join(format!("blitz-fs-doc-options-{}", std::process::id()));
/// let mut file = OpenOptions::new().create(true).append(true).open(&path).await?;
/// file.write_all(b"one line\n").await?;
/// file.flush().await?;
/// blitz_io::fs::remove_file(&path).await?;
/// # std::io::Result::Ok(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct OpenOptions(std::fs::OpenOptions);

impl OpenOptions {
    /// Options with every flag off; set at least one of `read`, `write` or `append`.
    pub fn new() -> OpenOptions {
        OpenOptions(std::fs::OpenOptions::new())
    }

    /// Open for reading.
    pub fn read(&mut self, read: bool) -> &mut OpenOptions {
        self.0.read(read);
        self
    }

    /// Open for writing.
    pub fn write(&mut self, write: bool) -> &mut OpenOptions {
        self.0.write(write);
        self
    }

    /// Open for appending: every write goes to the end of the file.
    pub fn append(&mut self, append: bool) -> &mut OpenOptions {
        self.0.append(append);
        self
    }

    /// Truncate an existing file to length 0 (needs `write`).
    pub fn truncate(&mut self, truncate: bool) -> &mut OpenOptions {
        self.0.truncate(truncate);
        self
    }

    /// Create the file if it does not exist (needs `write` or `append`).
    pub fn create(&mut self, create: bool) -> &mut OpenOptions {
        self.0.create(create);
        self
    }

    /// Create the file, failing with [`AlreadyExists`](io::ErrorKind::AlreadyExists) if it
    /// exists; `create` and `truncate` are then ignored.
    pub fn create_new(&mut self, create_new: bool) -> &mut OpenOptions {
        self.0.create_new(create_new);
        self
    }

    /// The permission bits a newly created file gets (before the umask); see
    /// [`std::os::unix::fs::OpenOptionsExt::mode`].
    #[cfg(unix)]
    pub fn mode(&mut self, mode: u32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::mode(&mut self.0, mode);
        self
    }

    /// Extra flags passed to `open(2)`; see
    /// [`std::os::unix::fs::OpenOptionsExt::custom_flags`].
    #[cfg(unix)]
    pub fn custom_flags(&mut self, flags: i32) -> &mut OpenOptions {
        std::os::unix::fs::OpenOptionsExt::custom_flags(&mut self.0, flags);
        self
    }

    /// Opens `path` with these options on the blocking pool.
    pub async fn open(&self, path: impl AsRef<Path>) -> io::Result<File> {
        let path = path.as_ref().to_owned();
        let options = self.0.clone();
        let std = asyncify(move || options.open(path)).await?;
        Ok(File::from_std(std))
    }
}

impl Default for OpenOptions {
    fn default() -> OpenOptions {
        OpenOptions::new()
    }
}

impl From<std::fs::OpenOptions> for OpenOptions {
    fn from(options: std::fs::OpenOptions) -> OpenOptions {
        OpenOptions(options)
    }
}
