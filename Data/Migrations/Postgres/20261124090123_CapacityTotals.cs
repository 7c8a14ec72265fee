using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations.Postgres
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

            migrationBuilder.CreateTable(
                name: "FleetImports",
                columns: table => new
                {
                    Id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    Origin = table.Column<string>(type: "character varying(260)", maxLength: 260, nullable: false),
                    Content = table.Column<string>(type: "text", nullable: false),
                    ImportedAt = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_FleetImports", x => x.Id);
                });

            migrationBuilder.CreateIndex(
                name: "IX_Devices_PlanSlug_FacilityCode",
                table: "Devices",
                columns: new[] { "PlanSlug", "FacilityCode" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "FleetImports");

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
