# --- chatbot ------------------------------------------------------------------------------------
.PHONY: chat

chat: ## Chat with the bot in the terminal (uses models/ if `make train` has run)
	$(PY) -m $(PKG) chat
