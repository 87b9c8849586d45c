//! `#[blitz_io::main]` and `#[blitz_io::test]`: parse, validate, generate.
//!
//! ```text
//! #[blitz_io::main(worker_threads = 2)]
//! async fn main() -> Result<(), Error> { body }
//! ```
//! expands to
//! ```text
//! fn main() -> Result<(), Error> {
//!     let body = async move { body };
//!     ::blitz_io::__private::entry_runtime(
//!         ::blitz_io::__private::EntryFlavor::MultiThread,
//!         ::core::option::Option::Some(2usize),
//!         false, // `start_paused`
//!     )
//!     .block_on(body)
//! }
//! ```

mod args;
mod generate;

use proc_macro2::TokenStream;

pub(crate) use args::Kind;

pub(crate) fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let function: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(function) => function,
        Err(error) => {
            // Not a function at all: report it and give the tokens back untouched.
            let message = format!("`#[{}]` goes on an `async fn`", kind.name());
            let error = syn::Error::new(error.span(), message).to_compile_error();
            return quote::quote! { #error #item };
        }
    };
    let mut errors = args::Errors::default();
    let config = args::parse(kind, args, &mut errors);
    args::validate_function(kind, &function, &mut errors);
    match errors.into_result() {
        Ok(()) => generate::entry(kind, &config, function),
        Err(errors) => generate::with_errors(kind, errors, function),
    }
}
