using MudBlazor;

namespace Dashboard.App.Components.Layout;

public static class DashboardTheme
{
    public static readonly MudTheme Theme = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#1f5fbf",
            Secondary = "#7a4fd6",
            AppbarBackground = "#16325c",
            Background = "#f5f7fa",
            DrawerBackground = "#ffffff",
            Success = "#2e8540",
            Error = "#c62828",
            Warning = "#b26a00",
            Info = "#1f78b4",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#6ea8ff",
            Secondary = "#b59bff",
            AppbarBackground = "#111827",
            Background = "#0b1020",
            Surface = "#151c2f",
            DrawerBackground = "#111827",
            Success = "#4caf50",
            Error = "#ef5350",
            Warning = "#ffb74d",
            Info = "#4fc3f7",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = ["Inter", "Segoe UI", "DejaVu Sans", "Helvetica", "Arial", "sans-serif"] },
        },
    };
}
