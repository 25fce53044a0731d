import { textField } from '../../sample/form-input.js';

describe("the sample app's form fields", () => {
  it('keep an emoji at the length limit whole, or leave it out whole', () => {
    const name = `${'a'.repeat(39)}😀`;
    expect(textField(name, 40)).toBe(name);
    expect(textField(`${name}😀`, 40)).toBe(name);
    expect(textField(`${'a'.repeat(40)}😀`, 40)).toBe('a'.repeat(40));
  });

  it('read a name typed in decomposed form as the composed one', () => {
    expect(textField('Jose\u0301', 40)).toBe('Jos\u00e9');
  });

  it('give an empty string for anything but a string', () => {
    expect(textField(['x'], 40)).toBe('');
    expect(textField(undefined, 40)).toBe('');
  });
});
