import AlertServing

// `rbsh serve` runs this program (rbsh-serve, beside rbsh), with the same arguments.
ServeCommand.main()
