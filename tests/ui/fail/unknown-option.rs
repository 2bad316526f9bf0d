static MIGRATIONS: migraph::Migrations =
    migraph::embed_migrations!("fixtures/ui/unknown-option", allow_many_heads);

fn main() {}
