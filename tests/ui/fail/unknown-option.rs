static MIGRATIONS: migrations::Migrations =
    migrations::embed_migrations!("fixtures/ui/unknown-option", allow_many_heads);

fn main() {}
