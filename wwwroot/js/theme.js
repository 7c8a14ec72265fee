// Picks the theme before the page paints (loaded in <head>, blocking, tiny). The choice lives in
// localStorage (the toggle) or the system preference, and is mirrored in a cookie so the server
// renders statically rendered layouts in the right theme straight away (see MainLayout.razor).
(() => {
    const stored = localStorage.getItem("dashboard.theme");
    const theme = stored ?? (window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light");
    document.documentElement.dataset.theme = theme;
    document.cookie = `dashboard.theme=${theme}; path=/; max-age=31536000; samesite=lax`;
})();
