using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Rendering;
using MudBlazor;

namespace Dashboard.App.Components.Layout;

/// <summary>
/// The dark palette as CSS variables that apply while <c>&lt;html data-theme="dark"&gt;</c>. The
/// layout's <see cref="MudThemeProvider"/> always writes the light palette; switching theme is then
/// an attribute change in the browser, which also works where the layout is rendered statically
/// (live pages) and costs no render in any circuit. The string is built once for the whole app.
/// </summary>
public sealed class DarkThemeStyles : ComponentBase
{
    private static readonly Lazy<string> Css = new(() => "<style class=\"dashboard-dark-theme\">:root[data-theme=dark]{" + DarkPalette.Variables() + "}</style>");

    protected override void BuildRenderTree(RenderTreeBuilder builder) => builder.AddMarkupContent(0, Css.Value);

    /// <summary>MudBlazor's own generator, so the variables are exactly those MudThemeProvider writes for dark mode.</summary>
    private sealed class DarkPalette : MudThemeProvider
    {
        public static string Variables()
        {
            // Never rendered: set the parameters directly, as a renderer would, to read the generator's output once.
#pragma warning disable MUD0012
            var generator = new DarkPalette { Theme = DashboardTheme.Theme, IsDarkMode = true };
#pragma warning restore MUD0012
            var css = new System.Text.StringBuilder();
            generator.GenerateTheme(css);
            return css.ToString();
        }
    }
}
