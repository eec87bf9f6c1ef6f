/**
 * Writes fixtures/workbook.xlsx (committed): an empty first sheet, a contacts sheet with real date cells
 * and a number where a phone lost its leading zero, and an orders sheet with numeric amounts.
 *   npx tsx scripts/make-xlsx-fixture.ts
 */
import ExcelJS from 'exceljs';

const workbook = new ExcelJS.Workbook();
workbook.created = new Date(Date.UTC(2025, 0, 1));
workbook.modified = workbook.created;
workbook.addWorksheet('Vide');
const clients = workbook.addWorksheet('Clients');
clients.addRow(['Code client', 'Prénom', 'Nom', 'Email', 'Portable', 'Code postal', 'Ville', 'Date de naissance', 'Newsletter', 'Fidélité']);
clients.addRow(['X-1', 'Amélie', 'Poulain', 'amelie@example.fr', 612345678, '75018', 'Paris', new Date(Date.UTC(1973, 8, 17)), 'oui', { formula: '2*21', result: 42 }]);
clients.addRow(['X-2', 'Jules', 'Maigret', 'jules.maigret@example.fr', '06 98 76 54 32', 1000, 'Bourg-en-Bresse', 25000, 'non', { richText: [{ text: 'Or ' }, { text: 'plus', font: { bold: true } }] }]);
clients.addRow(['X-3', 'Arsène', 'Lupin', 'arsene@example.fr', null, '76000', 'Rouen', '05/03/1980', 'x', null]);
const orders = workbook.addWorksheet('Commandes');
orders.addRow(['Invoice', 'InvoiceDate', 'Customer ID', 'Description', 'Quantity', 'Price']);
orders.addRow(['F-1', new Date(Date.UTC(2025, 2, 1, 10, 30)), 'X-1', 'Nain de jardin', 2, 24.5]);
orders.addRow(['F-2', new Date(Date.UTC(2025, 3, 15)), 'X-2', 'Pipe', 1, 80]);
orders.addRow(['CF-2', new Date(Date.UTC(2025, 3, 20)), 'X-2', 'Pipe', -1, 80]);
await workbook.xlsx.writeFile('fixtures/workbook.xlsx');
