"""Real-browser tests: headless Chromium (Playwright) against dEdZ served by uvicorn."""
