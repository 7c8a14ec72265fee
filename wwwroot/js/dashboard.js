// Small browser helpers for the dashboard. Kept dependency-free: loaded in <head>, before the page exists
// (App.razor says why), so it touches nothing but window and the document itself.
window.dashboard = {
    prefersDark() {
        return document.documentElement.dataset.theme === "dark";
    },
    setTheme(theme) {
        localStorage.setItem("dashboard.theme", theme);
        document.cookie = `dashboard.theme=${theme}; path=/; max-age=31536000; samesite=lax`;
        document.documentElement.dataset.theme = theme;
        for (const layout of document.querySelectorAll(".mud-layout")) {
            layout.dataset.theme = theme;
            layout.dataset.themeReady = "true";
        }
    },
    async copy(text) {
        await navigator.clipboard.writeText(text);
    },
};

// The layout's own buttons work without a circuit: live pages render the layout statically and
// only their live part interactively (docs/ARCHITECTURE.md, "Live pages"). Delegated, so they keep
// working after enhanced navigation replaces the layout's markup.
document.addEventListener("click", event => {
    if (!(event.target instanceof Element)) return;
    if (event.target.closest("[data-testid=theme-toggle]")) {
        window.dashboard.setTheme(window.dashboard.prefersDark() ? "light" : "dark");
        return;
    }
    const toggle = event.target.closest("[data-drawer-toggle]");
    if (toggle) {
        const layout = toggle.closest(".mud-layout");
        layout?.classList.toggle("drawer-closed");
    }
});
