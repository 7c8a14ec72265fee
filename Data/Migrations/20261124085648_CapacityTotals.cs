using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations
{
    /// <inheritdoc />
    public partial class CapacityTotals : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.RenameColumn(
                name: "Available",
                table: "FacilityCapacities",
                newName: "Total");

            migrationBuilder.CreateIndex(
                name: "IX_Devices_PlanSlug_FacilityCode",
                table: "Devices",
                columns: new[] { "PlanSlug", "FacilityCode" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_Devices_PlanSlug_FacilityCode",
                table: "Devices");

            migrationBuilder.RenameColumn(
                name: "Total",
                table: "FacilityCapacities",
                newName: "Available");
        }
    }
}
