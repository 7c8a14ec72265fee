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
    // The rows of a live list after its first render (Components/Shared/LiveList.cs): `keys` in order,
    // `rows` the HTML of rows this element does not have yet or whose content changed (already
    // encoded on the server), `footer` the "N more" line. Rows keep their elements by key, so a
    // burst inserts the new rows and removes the oldest without touching the rest.
    liveList: {
        show(root, update) {
            const list = root.querySelector("[data-live-rows]");
            if (!list) return;
            const old = new Map();
            for (const row of list.children) old.set(row.dataset.key, row);
            const rows = update.rows ?? {};
            let next = list.firstElementChild;
            for (const key of update.keys) {
                let row = old.get(key);
                const html = rows[key];
                if (row) {
                    old.delete(key);
                    if (html !== undefined) row.innerHTML = html;
                } else {
                    row = document.createElement(list.dataset.rowTag || "div");
                    if (list.dataset.rowClass) row.className = list.dataset.rowClass;
                    row.dataset.key = key;
                    row.innerHTML = html ?? "";
                }
                if (row === next) next = row.nextElementSibling;
                else list.insertBefore(row, next);
            }
            for (const row of old.values()) row.remove();

            const empty = root.querySelector(":scope > [data-live-empty]");
            if (empty) empty.hidden = update.keys.length > 0;
            const more = root.querySelector(":scope > .more-rows");
            if (more) {
                const footer = update.footer;
                more.hidden = !footer.text;
                if (footer.count === null) more.removeAttribute("data-hidden");
                else more.dataset.hidden = String(footer.count);
                more.firstElementChild.textContent = footer.text ?? "";
                const link = more.querySelector("a");
                link.hidden = !footer.href;
                if (footer.href) link.href = footer.href;
            }
        },
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
        return;
    }
    // A click on a row of a live list whose rows lead somewhere (the Changes table selects the change),
    // unless it was on a link or a control inside the row.
    const row = event.target.closest("[data-live-rows] > [data-key]");
    const href = row?.closest("[data-row-href]")?.dataset.rowHref;
    if (href && !event.target.closest("a, button, input, select, textarea")) {
        window.Blazor?.navigateTo(href.replace("{key}", encodeURIComponent(row.dataset.key)));
    }
});
