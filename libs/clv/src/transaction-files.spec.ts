import { parseTransactions } from './transaction-files';

describe('transaction files', () => {
  it('reads the CDNOW sample (customer = second column) and master (header, customer first) formats', () => {
    expect(parseTransactions(' 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n', 'cdnow')).toEqual([
      { customerId: '1', at: '1997-01-01', amount: 29.33 },
      { customerId: '1', at: '1997-01-18', amount: 29.73 },
    ]);
    expect(parseTransactions(' customer_id  date number_of_cds  dollar_value\r\n 00002 19970112  1   12.00\r\n', 'cdnow')).toEqual([
      { customerId: '2', at: '1997-01-12', amount: 12 },
    ]);
  });

  it('reads customer_id,date,amount CSV with quotes', () => {
    expect(parseTransactions('customer_id,date,amount\n"ACME, Inc.",2024-05-01,120.5\nc-2,2024-05-02T10:00:00Z,-3\n\n', 'csv')).toEqual([
      { customerId: 'ACME, Inc.', at: '2024-05-01', amount: 120.5 },
      { customerId: 'c-2', at: '2024-05-02T10:00:00Z', amount: -3 },
    ]);
  });

  it('names the line and what is wrong with it', () => {
    expect(() => parseTransactions('id,when,value\n', 'csv')).toThrow('line 1: the header must be customer_id,date,amount, got "id,when,value"');
    expect(() => parseTransactions('customer_id,date,amount\nc,2024-13-45,1\n', 'csv')).toThrow('line 2: date must be an ISO 8601 date');
    expect(() => parseTransactions('customer_id,date,amount\nc,2024-01-01,ten\n', 'csv')).toThrow('line 2: amount must be a number, got "ten"');
    expect(() => parseTransactions('customer_id,date,amount\nc,2024-01-01\n', 'csv')).toThrow('line 2: expected 3 fields');
    expect(() => parseTransactions(' 00004 0001 1997-01-01  2   29.33\n', 'cdnow')).toThrow('line 1: date must be YYYYMMDD, got "1997-01-01"');
    expect(() => parseTransactions(' 1 19970101  2   29.33\n 1 2 3\n', 'cdnow')).toThrow('line 2: a CDNOW row has 4 (master) or 5 (sample)');
  });
});
