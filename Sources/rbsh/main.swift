import RunbookShell

RbshCommand.main()
