"""One module per `extranet-bot` sub-command group; `bot.cli` assembles them."""
