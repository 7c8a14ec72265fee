// Small browser helpers for the dashboard. Kept dependency-free.
window.dashboard = {
    prefersDark() {
        const stored = localStorage.getItem("dashboard.theme");
        if (stored) return stored === "dark";
        return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    },
    setTheme(theme) {
        localStorage.setItem("dashboard.theme", theme);
    },
    async copy(text) {
        await navigator.clipboard.writeText(text);
    },
};
