using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dashboard.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class CanaryListIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_CreateIndex",
                table: "CanaryDeployments");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Namespace_CreateIndex",
                table: "CanaryDeployments");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "CreateIndex", "Id" });

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_CreateIndex_Id",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "CreateIndex", "Id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.DropIndex(
                name: "IX_CanaryDeployments_Namespace_CreateIndex_Id",
                table: "CanaryDeployments");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_CreateIndex",
                table: "CanaryDeployments",
                column: "CreateIndex");

            migrationBuilder.CreateIndex(
                name: "IX_CanaryDeployments_Namespace_CreateIndex",
                table: "CanaryDeployments",
                columns: new[] { "Namespace", "CreateIndex" });
        }
    }
}
