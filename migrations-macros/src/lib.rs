//! The `embed_migrations!` macro. Use it through the `migraph` crate, which documents
//! it; this crate only turns a directory checked by `migrations-core` into tokens.

use std::path::{Path, PathBuf};

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

    let includes = loaded.files.iter().map(|f| include(&f.path));
    let entries = loaded.files.iter().map(|f| migration(&f.migration));
    let count = loaded.files.len();
    let source_dir = dir.to_string_lossy().into_owned();
    Ok(quote! {{
        #(#includes)*
        static MIGRATIONS: [::migraph::__private::Migration; #count] = [#(#entries),*];
        ::migraph::__private::Migrations::from_static(
            &MIGRATIONS,
            #source_dir,
            #written,
            cfg!(debug_assertions),
        )
    }})
}

/// Makes cargo rebuild the crate when the file changes.
fn include(path: &Path) -> TokenStream {
    let path = path.to_string_lossy();
    quote! { const _: &[u8] = include_bytes!(#path); }
}

fn names(items: &[std::borrow::Cow<'static, str>]) -> TokenStream {
    let items = items.iter().map(AsRef::<str>::as_ref);
    quote! { &[#(::migraph::__private::Cow::Borrowed(#items)),*] }
}

fn migration(m: &Migration) -> TokenStream {
    let revision = m.revision();
    let down = names(m.down_revisions());
    let labels = names(m.branch_labels());
    let depends = names(m.depends_on());
    let message = m.message();
    let created = m.created();
    let file_name = m.file_name();
    let upgrade = m.upgrade_sql();
    let downgrade = match m.downgrade_sql() {
        Some(sql) => quote! { ::core::option::Option::Some(#sql) },
        None => quote! { ::core::option::Option::None },
    };
    let (upgrade_line, downgrade_line) = (m.upgrade_line(), m.downgrade_line());
    let transaction = m.transactional();
    let checksum = m.checksum();
    quote! {
        ::migraph::__private::Migration::from_static(::migraph::__private::StaticParts {
            revision: #revision,
            down_revisions: #down,
            branch_labels: #labels,
            depends_on: #depends,
            message: #message,
            created: #created,
            file_name: #file_name,
            upgrade: #upgrade,
            downgrade: #downgrade,
            upgrade_line: #upgrade_line,
            downgrade_line: #downgrade_line,
            transaction: #transaction,
            checksum: #checksum,
        })
    }
}
