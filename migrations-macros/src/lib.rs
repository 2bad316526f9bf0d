//! The `embed_migrations!` macro. Use it through the `migraph` crate, which documents
//! it; this crate only turns a directory checked by `migrations-core` into tokens.

use std::path::PathBuf;

use migraph_core::{DiagnosticKind, Directory, LoadOptions, Migration};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::parse::{Parse, ParseStream};
use syn::{Ident, LitStr, Token};

/// Embeds and checks a migrations directory at compile time. See the `migraph` crate.
#[proc_macro]
pub fn embed_migrations(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    syn::parse::<Input>(input)
        .and_then(|input| expand(&input))
        .unwrap_or_else(|error| {
            // Every problem as its own `compile_error!`, inside an expression of the right
            // type so that rustc reports nothing else.
            let errors = error.into_compile_error();
            quote! {{
                #errors
                ::migraph::__private::Migrations::from_static(&[], "", "", false)
            }}
        })
        .into()
}

/// `"path"` with an optional `, allow_multiple_heads`.
struct Input {
    path: LitStr,
    allow_multiple_heads: bool,
}

impl Parse for Input {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let path = if input.is_empty() {
            LitStr::new("./migrations", Span::call_site())
        } else {
            input.parse()?
        };
        let mut allow_multiple_heads = false;
        while !input.is_empty() {
            input.parse::<Token![,]>()?;
            if input.is_empty() {
                break;
            }
            let option: Ident = input.parse()?;
            if option == "allow_multiple_heads" {
                allow_multiple_heads = true;
            } else {
                return Err(syn::Error::new(
                    option.span(),
                    format!("unknown option `{option}`; the only option is `allow_multiple_heads`"),
                ));
            }
        }
        Ok(Self {
            path,
            allow_multiple_heads,
        })
    }
}

fn expand(input: &Input) -> syn::Result<TokenStream> {
    let span = input.path.span();
    let written = input.path.value();
    let root = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .ok_or_else(|| syn::Error::new(span, "CARGO_MANIFEST_DIR is not set; build with cargo"))?;
    let dir = root.join(&written);
    let options = if input.allow_multiple_heads {
        LoadOptions::multiple_heads()
    } else {
        LoadOptions::default()
    };
    let loaded = Directory::load(&dir, &written, options).map_err(|problems| {
        problems
            .iter()
            .map(|d| {
                let mut d = d.clone();
                if d.kind == DiagnosticKind::FolderNotFound {
                    d = d.with_help("the path is relative to the folder of the crate's Cargo.toml; create the folder or fix the path");
                }
                syn::Error::new(span, d.to_string())
            })
            .reduce(|mut all, e| {
                all.combine(e);
                all
            })
            .unwrap_or_else(|| syn::Error::new(span, "invalid migrations directory"))
    })?;

    // The files' text as the compiler includes them (which also rebuilds the crate when
    // one changes), and where each field of each revision is in them.
    let mut texts = Vec::with_capacity(loaded.files.len());
    for f in &loaded.files {
        let text = std::fs::read_to_string(&f.path)
            .map_err(|e| syn::Error::new(span, format!("cannot read {}: {e}", f.display)))?;
        texts.push(text);
    }
    let pairs: Vec<(&str, &Migration)> = texts
        .iter()
        .zip(&loaded.files)
        .map(|(text, f)| (text.as_str(), &f.migration))
        .collect();
    let (table, extra) = migraph_core::embedded::encode(&pairs);
    let table = syn::LitByteStr::new(&table, span);
    let paths = loaded
        .files
        .iter()
        .map(|f| f.path.to_string_lossy().into_owned());
    let count = loaded.files.len();
    let source_dir = dir.to_string_lossy().into_owned();
    Ok(quote! {{
        static FILES: [&str; #count] = [#(::core::include_str!(#paths)),*];
        ::migraph::__private::Migrations::from_table(
            &FILES,
            #table,
            #extra,
            #source_dir,
            #written,
            cfg!(debug_assertions),
        )
    }})
}
