import RunbookShell
@main enum Main { static func main() { } }
